import type { SocketConnection, SocketServer } from '@socketdb/core';
import { createInProcessClient, deliveryQueue, inProcessServers, type InProcessEnd, type InProcessPeer, type InProcessServer } from '@socketdb/core/in-process';
import type { SessionContext } from '../types';
import { createIncrementalIdGenerator } from './transport-defaults';

export type MockSocketServerOptions = {
	/** The session context each connection gets, as `createWebsocketServer`'s `initializeSession` gives it (here without a request). */
	initializeSession?: () => SessionContext | void;
	/** Makes connection ids. @default counting up from 0 */
	generateId?: () => string;
};

export type MockSocketServer = SocketServer<SessionContext> & InProcessServer & {
	address(): { port: number; host: string } | null;
	close(): Promise<void>;
};

/** Ports handed out for `listen(0)`, above those people pick. */
let nextFreePort = 50_000;

/**
 * A transport without a network, for an application's tests (SocketDB's name): the server takes
 * connections from clients in the same process. Clients reach it with `mockSocketClient()` from
 * `@socketdb/client` at the port it listens on (`ws://localhost:<port>`, or given the
 * `socketServer` itself), or with `connectClient()`. Frames are the same bytes a WebSocket
 * carries, delivered in order; `bufferedAmount` is always 0.
 *
 * @example
 * const { socketServer } = mockSocketServer();
 * const server = SocketDBServer({ socketServer });
 * server.listen(8080);
 * const db = SocketDBClient({ socketClient: mockSocketClient().socketClient });
 * db.connect('ws://localhost:8080');
 */
export function mockSocketServer(options: MockSocketServerOptions = {}) {
	const { initializeSession, generateId = createIncrementalIdGenerator() } = options;
	const listeners: ((connection: SocketConnection, id: string, context?: SessionContext) => void)[] = [];
	/** Ends every open connection from the server's side. */
	const open = new Set<() => void>();
	let port: number | undefined;

	function accept(peer: InProcessPeer): InProcessEnd {
		const messageListeners: ((frame: Uint8Array) => void)[] = [];
		const closeListeners: (() => void)[] = [];
		let closed = false;
		const finish = () => {
			if (closed) return;
			closed = true;
			open.delete(end);
			for (const listener of closeListeners) listener();
		};
		const end = () => connection.close(1001, 'server closed');
		const incoming = deliveryQueue<Uint8Array | null>((frame) => {
			if (frame === null) finish();
			else if (!closed) for (const listener of messageListeners) listener(frame);
		});
		const connection: SocketConnection = {
			send(frame) {
				if (!closed) peer.receive(frame.slice());
			},
			close(code = 1000, reason = '') {
				if (closed) return;
				peer.closed(code, reason);
				finish();
			},
			onMessage: (listener) => void messageListeners.push(listener),
			onClose: (listener) => void closeListeners.push(listener),
			bufferedAmount: 0,
		};
		open.add(end);
		const context = initializeSession?.() ?? undefined;
		const id = generateId();
		for (const listener of listeners) listener(connection, id, context);
		return { send: (frame) => incoming.push(frame), close: () => incoming.push(null) };
	}

	const socketServer: MockSocketServer = {
		onConnection: (listener) => void listeners.push(listener),
		listen(requested, callback) {
			const registry = inProcessServers();
			const chosen = requested === 0 ? nextFreePort++ : requested;
			if (registry.has(chosen)) throw new Error(`port ${chosen} is taken by another in-process server`);
			registry.set(chosen, socketServer);
			port = chosen;
			if (callback !== undefined) queueMicrotask(callback);
		},
		address: () => (port === undefined ? null : { port, host: 'localhost' }),
		async close() {
			const registry = inProcessServers();
			if (port !== undefined && registry.get(port) === socketServer) registry.delete(port);
			port = undefined;
			for (const end of [...open]) end();
		},
		accept,
	};

	return {
		socketServer,
		/** A client transport connected to this server whatever URL its client is given (SocketDB's name). */
		connectClient: () => createInProcessClient(() => socketServer),
	};
}
