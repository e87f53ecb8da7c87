import type { SocketConnection, SocketServer } from '@socketdb/core';
import type { Hooks, Peer } from 'crossws';
import type { SessionContext } from '../types';
import { OriginChecks, type AllowedOrigins } from './allowed-origins';
import { toRefusal } from './upgrade-error';
import { CLOSE_TIMEOUT_MS, createIncrementalIdGenerator } from './transport-defaults';

export type CrosswsServerOptions = {
	/**
	 * Runs at the upgrade with the web `Request`. Its result is `client.context` for the life of
	 * the connection. Throw a `WebsocketServerError`, or throw or return a `Response`, to refuse
	 * the connection with that status.
	 */
	initializeSession?: (args: { req: Request }) => SessionContext | Response | void | Promise<SessionContext | Response | void>;
	/** Makes client ids. @default counting up from 0 */
	generateId?: () => string;
	/** The web pages (by `Origin`) that may connect; see `createWebsocketServer`. @default every origin */
	allowedOrigins?: AllowedOrigins;
};

/** A `SocketServer` whose connections come from crossws: mount `.hooks` in any crossws adapter. */
export type CrosswsServer = SocketServer<SessionContext> & {
	/** crossws hooks (`upgrade`, `open`, `message`, `close`, `error`), e.g. for h3's `defineWebSocketHandler(hooks)`. */
	readonly hooks: Partial<Hooks>;
};

/** Where the session made at the upgrade waits in crossws's per-connection context. */
const SESSION = Symbol('socketdb.session');

/**
 * The transport for crossws: the same database inside h3, Nitro or any runtime crossws runs on.
 * The host application owns the HTTP server; `listen` only starts the database.
 *
 * @example
 * const transport = createCrosswsServer({ initializeSession: ({ req }) => ({ user: req.headers.get('x-user') }) });
 * const db = SocketDBServer({ socketServer: transport });
 * db.listen();
 * export default defineWebSocketHandler(transport.hooks); // h3
 */
export function createCrosswsServer(options: CrosswsServerOptions = {}): CrosswsServer {
	const { initializeSession, generateId = createIncrementalIdGenerator(), allowedOrigins } = options;
	const origins = new OriginChecks(allowedOrigins);
	const listeners: ((connection: SocketConnection, id: string, context?: SessionContext) => void)[] = [];
	const connections = new Map<Peer, CrosswsConnection>();

	const hooks: Partial<Hooks> = {
		async upgrade(request) {
			try {
				origins.enforce(request.headers.get('origin'));
				if (initializeSession === undefined) return;
				const result = await initializeSession({ req: request });
				if (typeof Response !== 'undefined' && result instanceof Response) throw result;
				return result === undefined || result === null ? undefined : { context: { [SESSION]: result } };
			} catch (thrown) {
				const refusal = await toRefusal(thrown);
				return new Response(refusal.body, { status: refusal.status, headers: refusal.headers });
			}
		},
		open(peer) {
			const connection = new CrosswsConnection(peer);
			connections.set(peer, connection);
			const context = (peer.context as Record<symbol, SessionContext | undefined>)[SESSION];
			const id = generateId();
			for (const listener of listeners) listener(connection, id, context);
		},
		message(peer, message) {
			connections.get(peer)?.received(message.rawData);
		},
		close(peer) {
			const connection = connections.get(peer);
			connections.delete(peer);
			connection?.closed();
		},
		// An error is followed by a close, which is what the server acts on.
		error() {},
	};

	return {
		hooks,
		onConnection(listener) {
			listeners.push(listener);
		},
		restrictOrigins: (check) => origins.add(check),
		listen(_port, callback) {
			if (callback !== undefined) setImmediate(callback);
		},
		address: () => null,
		async close() {
			// The host application keeps its HTTP server; the database lets go of its connections.
			for (const connection of connections.values()) {
				connection.terminate();
				connection.closed();
			}
			connections.clear();
		},
	};
}

/** One crossws peer behind the `SocketConnection` interface. */
class CrosswsConnection implements SocketConnection {
	private messageListener: ((frame: Uint8Array | string) => void) | undefined;
	private closeListeners: (() => void)[] = [];
	private done = false;

	constructor(private readonly peer: Peer) {}

	send(frame: Uint8Array): void {
		if (!this.done) this.peer.send(frame, { compress: false });
	}

	close(code?: number, reason?: string): void {
		if (this.done) return;
		this.peer.close(code, reason);
		setTimeout(() => this.terminate(), CLOSE_TIMEOUT_MS).unref();
	}

	terminate(): void {
		if (!this.done) this.peer.terminate();
	}

	onMessage(listener: (frame: Uint8Array | string) => void): void {
		this.messageListener = listener;
	}

	onClose(listener: () => void): void {
		this.closeListeners.push(listener);
	}

	get bufferedAmount(): number {
		return this.peer.bufferedAmount;
	}

	get remoteAddress(): string | undefined {
		return this.peer.remoteAddress;
	}

	get forwardedFor(): string | undefined {
		return this.peer.request.headers.get('x-forwarded-for') ?? undefined;
	}

	received(data: unknown): void {
		if (this.done || this.messageListener === undefined) return;
		if (typeof data === 'string') return this.messageListener(data);
		if (data instanceof Uint8Array) return this.messageListener(data);
		if (data instanceof ArrayBuffer) return this.messageListener(new Uint8Array(data));
		this.messageListener(String(data));
	}

	closed(): void {
		if (this.done) return;
		this.done = true;
		for (const listener of this.closeListeners) listener();
	}
}
