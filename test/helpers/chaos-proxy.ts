import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a server, so a test can cut a client's connection the
 * hard way: `reset()` drops every connection through it with a TCP reset, mid-frame if it
 * happens to be, as a dying network or process would.
 */
export type ChaosProxy = { url: string; reset: () => number; close: () => Promise<void> };

export async function startChaosProxy(target: { port: number }): Promise<ChaosProxy> {
	const pairs = new Set<[Socket, Socket]>();
	const server: Server = createServer((client) => {
		const upstream = connect({ port: target.port, host: '127.0.0.1' });
		const pair: [Socket, Socket] = [client, upstream];
		pairs.add(pair);
		client.pipe(upstream);
		upstream.pipe(client);
		const drop = () => {
			pairs.delete(pair);
			client.destroy();
			upstream.destroy();
		};
		client.on('error', drop).on('close', drop);
		upstream.on('error', drop).on('close', drop);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const reset = () => {
		const count = pairs.size;
		for (const [client, upstream] of pairs) {
			client.resetAndDestroy();
			upstream.resetAndDestroy();
		}
		pairs.clear();
		return count;
	};
	return {
		url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
		reset,
		async close() {
			reset();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}
