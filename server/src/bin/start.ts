import { SocketDBServer } from '../server';

const port = Number(process.env['PORT'] ?? 8080);
const host = process.env['HOST'];
const server = SocketDBServer();

server.listen(
	port,
	() => {
		const address = server.address();
		console.log(`SocketDB listening on ws://${host ?? 'localhost'}:${address?.port ?? port} (in memory)`);
	},
	host,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.once(signal, () => {
		void server.close().then(() => process.exit(0));
	});
}
