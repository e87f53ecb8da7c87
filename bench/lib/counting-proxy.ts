import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a server that counts the bytes the server sends through it,
 * and can cut its connections from outside, as a network does: `hold()` drops them and turns new
 * ones away until `release()`.
 */
export type CountingProxy = {
	url: string;
	/** Bytes from the server to the clients since the last `resetCount()`. */
	received: () => number;
	resetCount: () => void;
	hold: () => void;
	release: () => void;
	close: () => Promise<void>;
};

export async function startCountingProxy(target: { port: number }): Promise<CountingProxy> {
	const sockets = new Set<Socket>();
	let held = false;
	let count = 0;
	const server = createServer((client) => {
		if (held) return void client.destroy();
		const upstream = connect({ port: target.port, host: '127.0.0.1' });
		sockets.add(client).add(upstream);
		upstream.on('data', (chunk: Buffer) => (count += chunk.length));
		client.pipe(upstream);
		upstream.pipe(client);
		const drop = () => {
			sockets.delete(client);
			sockets.delete(upstream);
			client.destroy();
			upstream.destroy();
		};
		client.on('error', drop).on('close', drop);
		upstream.on('error', drop).on('close', drop);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const cut = () => {
		for (const socket of sockets) socket.resetAndDestroy();
		sockets.clear();
	};
	return {
		url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
		received: () => count,
		resetCount: () => void (count = 0),
		hold() {
			held = true;
			cut();
		},
		release: () => void (held = false),
		async close() {
			cut();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}
