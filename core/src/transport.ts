/**
 * The seam between the database and the network. The server and client speak
 * frames of bytes through these interfaces; `ws` and crossws are adapters behind them.
 */

/** One open connection, as the server sees it. */
export interface SocketConnection {
	/** Queues one binary frame. */
	send(frame: Uint8Array): void;
	/** Closes the connection (after pending frames are written). */
	close(code?: number, reason?: string): void;
	/** Called for every frame the peer sends; text frames arrive as strings. */
	onMessage(listener: (frame: Uint8Array | string) => void): void;
	/** Called once when the connection is gone, however it ended. */
	onClose(listener: () => void): void;
	/** Bytes queued locally but not yet written to the network. */
	readonly bufferedAmount: number;
	/** The peer's IP address, when the transport knows it. */
	readonly remoteAddress?: string | undefined;
	/** The upgrade request's `X-Forwarded-For` header, when it had one. */
	readonly forwardedFor?: string | undefined;
}

/** Accepts connections for a SocketDB server. */
export interface SocketServer<Context = Record<string, unknown>> {
	/** Registers the handler for new connections; `context` is what the upgrade stage produced. */
	onConnection(listener: (connection: SocketConnection, id: string, context?: Context) => void): void;
	/** Starts accepting connections. */
	listen(port: number, callback?: () => void, host?: string): void;
	/** The bound port once listening. */
	address?(): { port: number; host: string } | null;
	/** Stops accepting connections and releases the port. */
	close?(): Promise<void>;
	/**
	 * Adds a check that the `Origin` of every browser's upgrade must pass; others are refused
	 * with 403 before the session is made. Upgrades without an `Origin` are not checked.
	 */
	restrictOrigins?(allowed: (origin: string) => boolean): void;
}

/** Why a client connection closed. */
export type CloseInfo = { code: number; reason: string };

/** The client's link to a server. Implementations reconnect on their own until `close()`. */
export interface SocketClient {
	/** Opens the connection to `url` and keeps it open, reconnecting after drops. */
	connect(url: string): void;
	/** Closes the connection for good (until the next `connect`). */
	close(): void;
	/** Sends one binary frame; frames sent while not open are dropped (the client resends what matters). */
	send(frame: Uint8Array): void;
	onOpen(listener: () => void): void;
	onClose(listener: (info: CloseInfo) => void): void;
	onMessage(listener: (frame: Uint8Array) => void): void;
	/** The server asked the client to wait at least `ms` before it connects again (a goodbye's `retryAfter`). */
	holdOff?(ms: number): void;
}
