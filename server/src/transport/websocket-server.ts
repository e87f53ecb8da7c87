import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_MAX_FRAME_BYTES, type SocketConnection, type SocketServer } from '@socketdb/core';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import type { SessionContext } from '../types';
import { OriginChecks, type AllowedOrigins } from './allowed-origins';
import { formatRefusal, toRefusal } from './upgrade-error';
import { answerUpgradeRequired } from './upgrade-required';
import { CLOSE_TIMEOUT_MS, createIncrementalIdGenerator } from './transport-defaults';

/** Options passed through to `ws`'s server, minus those the adapter controls. */
type PassThroughOptions = Omit<ServerOptions, 'noServer' | 'port' | 'server' | 'host'>;

export type WebsocketServerOptions = PassThroughOptions & {
	/**
	 * Runs at the HTTP upgrade of every connection; what it returns is `client.context` (nothing: an empty one)
	 * for the life of the connection. Throw a `WebsocketServerError`, or throw or return a
	 * web `Response`, to refuse the connection with that HTTP status.
	 */
	initializeSession?: (params: { req: IncomingMessage }) => SessionContext | Response | void | Promise<SessionContext | Response | void>;
	/** Produces each connection's id. @default '0', '1', '2', ... */
	generateId?: () => string;
	/** An existing HTTP server to attach to; by default the adapter creates its own. */
	server?: Server;
	/** Largest frame accepted, in bytes. @default 16 MiB */
	maxPayload?: number;
	/**
	 * The web pages (by `Origin`) that may connect: a list of origins, or a function. Other
	 * pages' upgrades are refused with 403; requests without `Origin` (Node clients) are not
	 * affected. @default every origin, as in SocketDB: any page the user opens may connect
	 */
	allowedOrigins?: AllowedOrigins;
};

export type WebsocketServer = SocketServer<SessionContext> & {
	address(): { port: number; host: string } | null;
	close(): Promise<void>;
};

/**
 * The default transport: WebSockets on an HTTP server, with the session created at the upgrade.
 *
 * @example
 * const server = SocketDBServer({ socketServer: createWebsocketServer({ server: httpServer }) });
 */
export function createWebsocketServer(options: WebsocketServerOptions = {}): WebsocketServer {
	const { initializeSession, generateId = createIncrementalIdGenerator(), server, maxPayload = DEFAULT_MAX_FRAME_BYTES, allowedOrigins, ...wsOptions } = options;
	const origins = new OriginChecks(allowedOrigins);
	const httpServer = server ?? createServer((_req, res) => answerUpgradeRequired(res));
	const wss = new WebSocketServer({ ...wsOptions, noServer: true, maxPayload });
	const listeners: ((connection: SocketConnection, id: string, context?: SessionContext) => void)[] = [];
	let startedListening = false;

	async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
		socket.on('error', destroySocket);
		let context: SessionContext | undefined;
		try {
			origins.enforce(req.headers.origin);
			if (initializeSession !== undefined) {
				const result = await initializeSession({ req });
				if (typeof Response !== 'undefined' && result instanceof Response) throw result;
				context = (result ?? undefined) as SessionContext | undefined;
			}
		} catch (thrown) {
			const refusal = await toRefusal(thrown);
			if (!socket.destroyed) socket.end(formatRefusal(refusal));
			return;
		}
		if (socket.destroyed) return;
		wss.handleUpgrade(req, socket, head, (ws) => {
			const forwardedFor = req.headers['x-forwarded-for'];
			const connection = new WsConnection(ws, socket as Socket, Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor);
			const id = generateId();
			for (const listener of listeners) listener(connection, id, context);
		});
	}

	const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
		void upgrade(req, socket, head);
	};
	httpServer.on('upgrade', onUpgrade);

	return {
		onConnection(listener) {
			listeners.push(listener);
		},
		restrictOrigins: (check) => origins.add(check),
		listen(port, callback, host) {
			if (httpServer.listening) {
				if (callback !== undefined) setImmediate(callback);
				return;
			}
			startedListening = true;
			httpServer.listen(port, host, callback);
		},
		address() {
			const address = httpServer.address();
			if (address === null || typeof address === 'string') return null;
			return { port: address.port, host: address.address };
		},
		async close() {
			httpServer.off('upgrade', onUpgrade);
			for (const ws of wss.clients) ws.terminate();
			await new Promise<void>((resolve) => wss.close(() => resolve()));
			if (!startedListening && server !== undefined) return;
			if (!httpServer.listening) return;
			await new Promise<void>((resolve) => {
				httpServer.close(() => resolve());
				httpServer.closeAllConnections();
			});
		},
	};
}

const ignore = () => undefined;

/** A socket error listener shared by all sockets (a closure each would stay for the socket's life). */
function destroySocket(this: Duplex): void {
	this.destroy();
}


/**
 * One ws socket behind the `SocketConnection` interface. A class, so the methods live on its
 * prototype rather than as closures per connection.
 */
class WsConnection implements SocketConnection {
	/** Set only when the upgrade request had the header, so most connections carry no field for it. */
	declare readonly forwardedFor?: string;

	constructor(
		private readonly ws: WebSocket,
		private readonly netSocket: Socket,
		forwardedFor: string | undefined,
	) {
		if (forwardedFor !== undefined) (this as { forwardedFor?: string }).forwardedFor = forwardedFor;
		// ws reports protocol violations (oversized or malformed frames) as an error followed by
		// a close; the close is what the server acts on, so the error needs no other handling.
		ws.on('error', ignore);
	}

	send(frame: Uint8Array): void {
		if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame, { binary: true });
	}

	close(code?: number, reason?: string): void {
		const ws = this.ws;
		if (ws.readyState === ws.CLOSED) return;
		ws.close(code, reason);
		// A peer that never completes the closing handshake must not hold the socket forever.
		setTimeout(() => ws.terminate(), CLOSE_TIMEOUT_MS).unref();
	}

	onMessage(listener: (frame: Uint8Array | string) => void): void {
		this.ws.on('message', (data, isBinary) => {
			if (!isBinary) return listener(data.toString());
			listener(Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data);
		});
	}

	onClose(listener: () => void): void {
		// 'close' comes once; `on` spares the wrapper `once` would keep per connection.
		this.ws.on('close', listener);
	}

	get bufferedAmount(): number {
		return this.ws.bufferedAmount;
	}

	get remoteAddress(): string | undefined {
		return this.netSocket.remoteAddress;
	}
}
