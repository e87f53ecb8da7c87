import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of one or more backends. A new connection goes to the first
 * backend, in turn, that accepts it (a load balancer without sticky sessions). `cut()` drops
 * every connection with a TCP reset and refuses new ones until `heal()`, as a network partition
 * would.
 */
export type TcpProxy = {
	port: number;
	/** Drops every connection through it with a TCP reset; returns how many. New ones are taken. */
	reset: () => number;
	cut: () => void;
	heal: () => void;
	/** Connections refused while cut: attempts a test can wait for instead of sleeping. */
	readonly refused: number;
	close: () => Promise<void>;
};

const open = new Set<TcpProxy>();

/** Closes every proxy still open; call from afterEach. */
export async function closeTcpProxies(): Promise<void> {
	for (const proxy of [...open]) await proxy.close();
}

/**
 * `dropWhen` sees what each client sends (after it was passed on); when it returns true, that
 * connection is dropped with a TCP reset before any answer comes back.
 */
export async function startTcpProxy(backends: () => number[], options: { dropWhen?: (sent: Buffer) => boolean } = {}): Promise<TcpProxy> {
	const pairs = new Set<[Socket, Socket]>();
	const resetPair = (pair: [Socket, Socket]) => {
		pairs.delete(pair);
		for (const socket of pair) socket.resetAndDestroy();
	};
	let next = 0;
	let cut = false;
	let refused = 0;
	const server: Server = createServer((client) => {
		if (cut) {
			refused++;
			return client.resetAndDestroy();
		}
		client.pause();
		const ports = backends();
		const tryBackend = (attempt: number) => {
			if (attempt >= ports.length || cut) return client.resetAndDestroy();
			const port = ports[next++ % ports.length]!;
			const upstream = connect({ port, host: '127.0.0.1' });
			upstream.once('error', () => tryBackend(attempt + 1));
			upstream.once('connect', () => {
				upstream.removeAllListeners('error');
				const pair: [Socket, Socket] = [client, upstream];
				pairs.add(pair);
				client.pipe(upstream);
				upstream.pipe(client);
				client.resume();
				const drop = () => {
					pairs.delete(pair);
					client.destroy();
					upstream.destroy();
				};
				client.on('error', drop).on('close', drop);
				upstream.on('error', drop).on('close', drop);
				const { dropWhen } = options;
				if (dropWhen !== undefined) client.on('data', (sent: Buffer) => dropWhen(sent) && resetPair(pair));
			});
		};
		tryBackend(0);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const reset = () => {
		const count = pairs.size;
		for (const pair of pairs) resetPair(pair);
		return count;
	};
	const proxy: TcpProxy = {
		port: (server.address() as AddressInfo).port,
		reset,
		cut() {
			cut = true;
			reset();
		},
		heal() {
			cut = false;
		},
		get refused() {
			return refused;
		},
		async close() {
			if (!open.delete(proxy)) return;
			cut = true;
			reset();
			await new Promise((resolve) => server.close(resolve));
		},
	};
	open.add(proxy);
	return proxy;
}
