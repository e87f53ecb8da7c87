// The shared todo list in React: `npm run example:react`, then open the printed address in two windows.
// One port serves the page (app.tsx, bundled here with esbuild from the installed packages and React) and the database.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createWebsocketServer, SocketDBServer } from '@socketdb/server';

const here = new URL('.', import.meta.url);
const bundled = await build({
	entryPoints: [fileURLToPath(new URL('app.tsx', here))],
	bundle: true,
	write: false,
	format: 'esm',
	platform: 'browser',
	minify: true,
	jsx: 'automatic',
	define: { 'process.env.NODE_ENV': '"production"' },
	logLevel: 'warning',
});
const files = {
	'/': { type: 'text/html', body: readFileSync(new URL('index.html', here)) },
	'/app.js': { type: 'text/javascript', body: bundled.outputFiles[0].contents },
};

const http = createServer((req, res) => {
	const file = files[new URL(req.url ?? '/', 'http://x').pathname];
	if (file === undefined) return void res.writeHead(404).end();
	res.writeHead(200, { 'Content-Type': `${file.type}; charset=utf-8` }).end(file.body);
});
const db = SocketDBServer({ updateInterval: 20, socketServer: createWebsocketServer({ server: http }) });

http.listen(Number(process.env.PORT ?? 8091), process.env.HOST ?? '127.0.0.1', () => {
	db.listen();
	const { port } = http.address();
	console.log(`React todo example at http://127.0.0.1:${port}/ (open it in two windows)`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void db.close().then(() => process.exit(0)));
