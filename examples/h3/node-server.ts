// node-server.ts
import { createServer } from 'node:http';
import { DEFAULT_LIMITS } from '@socketdb/server';
import crosswsNode from 'crossws/adapters/node';
import { toNodeHandler } from 'h3/node';
import { transport } from './database';
import { app } from './routes';

const ws = crosswsNode({ hooks: transport.hooks, serverOptions: { maxPayload: DEFAULT_LIMITS.maxFrameBytes } });
// toNodeHandler: Node's createServer takes a request listener; an h3 v2 app is not one.
const server = createServer(toNodeHandler(app));
// Only the database's path upgrades to the database; any other upgrade gets 404.
server.on('upgrade', (req, socket, head) => {
	if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/_db') {
		socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
		return;
	}
	void ws.handleUpgrade(req, socket, head);
});
server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
	const address = server.address() as { address: string; port: number };
	console.log(`listening on http://${address.address}:${address.port}/`);
});
