// The shared todo list: `npm run example`, then open the printed address in two windows.
// One port serves the page, the client's browser bundle and the database (in memory).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createWebsocketServer, SocketDBServer } from '@socketdb/server';

const here = new URL('.', import.meta.url);
const files = {
	'/': { type: 'text/html', body: readFileSync(new URL('index.html', here)) },
	'/app.js': { type: 'text/javascript', body: readFileSync(new URL('app.js', here)) },
	'/socketdb-client.js': { type: 'text/javascript', body: readFileSync(new URL('../../client/dist/socketdb-client.browser.js', here)) },
};

const http = createServer((req, res) => {
	const file = files[new URL(req.url ?? '/', 'http://x').pathname];
	if (file === undefined) return void res.writeHead(404).end();
	res.writeHead(200, { 'Content-Type': `${file.type}; charset=utf-8` }).end(file.body);
});
const db = SocketDBServer({ routeTracking: true, updateInterval: 20, socketServer: createWebsocketServer({ server: http }) });

http.listen(Number(process.env.PORT ?? 8090), process.env.HOST ?? '127.0.0.1', () => {
	db.listen();
	const { port } = http.address();
	console.log(`Todo example at http://127.0.0.1:${port}/ (open it in two windows)`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void db.close().then(() => process.exit(0)));
