import {
	decodeFrame,
	MessageType,
	parseClientMessage,
	PROTOCOL_VERSION,
	SocketDBError,
	toSocketDBError,
	validateJson,
	type ClientMessage,
	type GoodbyeMessage,
	type ServerMessage,
	type SocketConnection,
} from '@socketdb/core';
import { callHook } from './call-hook';
import { clientIp, createClientHandle } from './client-handle';
import { requestStats, updateRoute } from './client-tracking';
import { ConnectionExtras } from './connection-extras';
import { ConnectionSender, errorMessage, rejection, type ConnectionState, type StalePaths } from './connection-sender';
import type { SnapshotStreams } from './connection-snapshots';
import { dropQueries, handleQuery, resendStaleQueries, type Querying } from './connection-queries';
import { dropSubscriptions, dropValue, handleSubscription, resendStale } from './connection-subscriptions';
import type { QuerySubscription } from './query-subscriptions';
import { handleWrite, type Writing } from './connection-writes';
import { applyDisconnectWrites, disconnectGoodbye, handleDisconnectWrite } from './disconnect-writes';
import { answeredPing, keepAliveRound } from './keep-alive';
import { RateLimiter } from './limits';
import type { ServerRuntime } from './runtime';
import { smallSetSize, type SmallSet } from './small-set';
import type { Client, SessionContext } from './types';
import type { WriteSession } from './write-sessions';

/** How long a new connection may take to say hello. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** How long a client turned away by a full server is asked to wait before it tries again (ms). */
const FULL_RETRY_AFTER_MS = 2_000;
/** How long a client closed for too many bad requests is asked to wait (ms). */
const ERRORS_RETRY_AFTER_MS = 10_000;

/**
 * One client connection on the server: its lifecycle (handshake, goodbye, close), receiving and
 * checking what the client sends, and handing each message to what handles it. What goes back
 * is the send side's (`ConnectionSender`); writes and subscriptions have their own modules.
 */
export class ClientConnection extends ConnectionSender implements Querying, Writing {
	/** The `Client` handed to hooks and `getClient`, made on first use (most connections never need it). */
	private clientHandle: Client | undefined;
	state: ConnectionState = 'handshake';
	/** False between a keep-alive ping and the client's answer. */
	alive = true;
	/** This client's write session, attached at its first write (or at the handshake when it resumes one). */
	session: WriteSession | undefined;
	/** The session id the client said hello with; undefined until the handshake completed. */
	sessionId: string | undefined;
	/** Paths this connection subscribes to, by kind. */
	valuePaths: SmallSet;
	keysPaths: SmallSet;
	/** The app version the client reported at its hello. */
	version: string | undefined;
	/** When the connection was accepted (ms since the epoch). */
	readonly connectedAt = Date.now();
	private occasional: ConnectionExtras | undefined;
	private handshakeTimer: ReturnType<typeof setTimeout> | undefined;

	constructor(
		socket: SocketConnection,
		readonly id: string,
		private sessionContext: SessionContext | undefined,
		runtime: ServerRuntime,
	) {
		super(socket, runtime);
		this.handshakeTimer = setTimeout(() => this.goodbye({ reason: 'handshake-timeout' }), HANDSHAKE_TIMEOUT_MS);
		this.handshakeTimer.unref?.();
		socket.onMessage((frame) => this.receive(frame));
		socket.onClose(() => this.closed());
	}

	/** What the transport's upgrade stage produced; an empty object, made on first use, when nothing. */
	get context(): SessionContext {
		return (this.sessionContext ??= {} as SessionContext);
	}

	/** State most connections never need, made on first use. */
	get extras(): ConnectionExtras {
		return (this.occasional ??= new ConnectionExtras());
	}

	get route(): string | undefined {
		return this.occasional?.route;
	}

	get ip(): string | undefined {
		return this.occasional?.ip;
	}

	get client(): Client {
		return (this.clientHandle ??= createClientHandle(this));
	}

	/** This connection's running snapshot streams, if any. */
	get streams(): SnapshotStreams | undefined {
		return this.occasional?.streams;
	}

	/** True while a `server:subscribe` hook decides a subscription of this connection. */
	get subscribing(): boolean {
		return this.occasional?.subscriptionsInFlight !== undefined;
	}

	get queries(): Map<number, QuerySubscription> | undefined {
		return this.occasional?.queries;
	}

	set queries(queries: Map<number, QuerySubscription> | undefined) {
		if (queries !== undefined || this.occasional !== undefined) this.extras.queries = queries;
	}

	/** The value, keys and query subscriptions this connection holds (the limit counts them all). */
	get subscriptionCount(): number {
		return smallSetSize(this.valuePaths) + smallSetSize(this.keysPaths) + (this.occasional?.queries?.size ?? 0);
	}

	/** True once the handshake completed (whatever happened since). */
	get opened(): boolean {
		return this.sessionId !== undefined;
	}

	/** True once the connection is closing or closed: nothing it sends is processed any more. */
	get finished(): boolean {
		return this.state === 'closing' || this.state === 'closed';
	}

	/** `client.send`: a message for the client's `'client:message'` hook. Dropped once the connection is closing. */
	sendMessage(data: unknown): void {
		validateJson(data, { maxDepth: Infinity, maxKeys: Infinity });
		if (this.state === 'open') this.send({ type: MessageType.MESSAGE, data });
	}

	/** Says goodbye with `goodbye` and closes the connection. */
	goodbye(goodbye: GoodbyeMessage): void {
		if (this.finished) return;
		this.state = 'closing';
		disconnectGoodbye(this.occasional?.disconnectWrites, goodbye);
		this.send({ type: MessageType.GOODBYE, goodbye });
		this.flush();
		this.socket.close(1000, 'reason' in goodbye && typeof goodbye.reason === 'string' ? goodbye.reason.slice(0, 120) : undefined);
	}

	/** The client connected again on another connection: this one ends now (see `handshake`). */
	replaced(): void {
		if (this.finished) return;
		this.goodbye({ reason: 'replaced', message: 'this client connected again on another connection' });
		this.closed();
	}

	/** One keep-alive round: close a client that never answered, otherwise ping it. */
	keepAliveCheck(): void {
		keepAliveRound(this, this.runtime);
	}

	/**
	 * Refuses bad input: sends `answer` (by default an ERROR with the error's code and message),
	 * logs the error once and counts it; a connection that keeps sending bad input is told goodbye.
	 * Bad input before the handshake completed ends the connection.
	 */
	refuse(error: SocketDBError, answer: ServerMessage = errorMessage(error)): void {
		if (this.state === 'handshake') return this.goodbye({ reason: 'protocol-error', message: error.message });
		this.send(answer);
		if (this.finished) return;
		this.runtime.report(error, { client: this.client });
		const { badRequestsPerMinute } = this.runtime.limits;
		if ((this.extras.badRequests ??= new RateLimiter(badRequestsPerMinute / 60, badRequestsPerMinute)).take()) return;
		this.goodbye({ reason: 'too-many-errors', message: `more than ${badRequestsPerMinute} bad requests in a minute; the last: ${error.code}: ${error.message}`, retryAfter: ERRORS_RETRY_AFTER_MS });
	}

	/** Drops the value subscription at `path` (a snapshot that cannot be sent does). */
	dropValue(path: string): void {
		dropValue(this, path, this.runtime);
	}

	protected override resend(stale: StalePaths): void {
		resendStale(this, stale, this.runtime);
		resendStaleQueries(this, stale.query, this.runtime);
	}

	private receive(frame: Uint8Array | string): void {
		if (this.finished) return;
		if (typeof frame === 'string') return this.refuse(new SocketDBError('INVALID_FRAME', 'text frames are not part of the protocol; send binary MessagePack frames'));
		if (frame.byteLength > this.runtime.limits.maxFrameBytes) {
			return this.refuse(new SocketDBError('PAYLOAD_TOO_LARGE', `frames may be at most ${this.runtime.limits.maxFrameBytes} bytes`));
		}
		let messages: unknown[];
		try {
			messages = decodeFrame(frame);
		} catch (error) {
			return this.refuse(toSocketDBError(error, 'INVALID_FRAME'));
		}
		for (const raw of messages) {
			if (this.finished) return;
			let message: ClientMessage;
			try {
				message = parseClientMessage(raw);
			} catch (error) {
				this.refuseMalformed(toSocketDBError(error, 'INVALID_MESSAGE'), raw);
				continue;
			}
			if (this.state === 'handshake') this.handshake(message);
			else this.handle(message);
		}
		// A fast writer keeps its socket readable, and one event-loop turn may then process
		// thousands of its frames before any timer runs: what is due goes out in between.
		const now = performance.now();
		this.sendOverdueAcks(now);
		this.runtime.fanout.flushIfOverdue(now);
	}

	/** A message that does not parse is refused as a write (REJECT) when it carries a write's number. */
	private refuseMalformed(error: SocketDBError, raw: unknown): void {
		const seq = Array.isArray(raw) && (raw[0] === MessageType.SET || raw[0] === MessageType.DELETE || raw[0] === MessageType.UPDATE || raw[0] === MessageType.TRANSACTION || raw[0] === MessageType.ON_DISCONNECT) ? raw[1] : undefined;
		if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0) this.refuse(error, rejection(seq, error));
		else this.refuse(error);
	}

	private handshake(message: ClientMessage): void {
		if (message.type !== MessageType.HELLO) return this.goodbye({ reason: 'protocol-error', message: 'the first message must be hello' });
		clearTimeout(this.handshakeTimer);
		this.handshakeTimer = undefined;
		// One of several processes, still catching up with the shared log: the client is welcomed once it has.
		const starting = this.runtime.starting;
		if (starting !== undefined) {
			starting.then(
				() => this.finished || this.handshake(message),
				() => this.goodbye({ reason: 'server-shutdown' }),
			);
			return;
		}
		if (message.protocol !== PROTOCOL_VERSION) {
			return this.goodbye({
				reason: 'unsupported-protocol',
				message: `this server speaks protocol version ${PROTOCOL_VERSION}, the client speaks ${String(message.protocol)}; upgrade the client and server to matching versions`,
			});
		}
		if (this.runtime.openConnections() >= this.runtime.limits.maxConnections) {
			return this.goodbye({ reason: 'too-many-connections', message: `the server accepts at most ${this.runtime.limits.maxConnections} connections`, retryAfter: FULL_RETRY_AFTER_MS });
		}
		this.sessionId = message.session;
		const { tracking, limits } = this.runtime;
		this.version = message.info.version;
		if (tracking.routes && message.info.route !== undefined && message.info.route.length <= limits.maxPathLength) this.extras.route = message.info.route;
		if (tracking.ips) this.extras.ip = clientIp(this.socket, tracking.trustProxy);
		// A client resuming a session (it wrote before) gets it now, so that resent writes are
		// recognised; a new one gets its session at its first write.
		const { sessions } = this.runtime;
		// The client's previous connection may still look open here (its network went away without
		// closing it): it is closed now, so that its onDisconnect writes apply before this one's writes.
		const previous = sessions.ownerOf(message.session);
		if (previous instanceof ClientConnection && previous !== this) previous.replaced();
		if (message.acked > 0 || sessions.has(message.session)) this.session = sessions.attach(message.session, this, message.acked);
		this.state = 'open';
		this.runtime.connectionOpened(this);
		const welcome: ServerMessage = { type: MessageType.WELCOME, protocol: PROTOCOL_VERSION, id: this.id, maxFrameBytes: this.runtime.limits.maxFrameBytes, db: this.runtime.writePath.database };
		if (writesCombine(this.runtime)) welcome.combine = true;
		this.send(welcome);
		callHook(this.runtime, 'server:clientConnect', { id: this.id }, this);
	}

	private handle(message: ClientMessage): void {
		switch (message.type) {
			case MessageType.HELLO:
				return this.refuse(new SocketDBError('INVALID_MESSAGE', 'hello was already received'));
			case MessageType.SET:
			case MessageType.DELETE:
			case MessageType.UPDATE:
			case MessageType.TRANSACTION:
				return handleWrite(this, message, this.runtime);
			case MessageType.ON_DISCONNECT:
				return handleDisconnectWrite(this, message, this.runtime);
			case MessageType.SUBSCRIBE:
			case MessageType.UNSUBSCRIBE:
			case MessageType.SUBSCRIBE_KEYS:
			case MessageType.UNSUBSCRIBE_KEYS:
				return handleSubscription(this, message, this.runtime);
			case MessageType.QUERY_SUBSCRIBE:
			case MessageType.QUERY_UNSUBSCRIBE:
				return handleQuery(this, message, this.runtime);
			case MessageType.PONG:
				return answeredPing(this, message.payload, this.runtime);
			case MessageType.ROUTE:
				return updateRoute(this, message.route, this.runtime);
			case MessageType.SUBSCRIBE_STATS:
				this.extras.wantsStats = true;
				return void requestStats(this, this.runtime);
			case MessageType.UNSUBSCRIBE_STATS:
				if (this.occasional !== undefined) this.occasional.wantsStats = false;
				return this.runtime.counts.unwatch(this);
		}
	}

	private closed(): void {
		if (this.state === 'closed') return;
		this.state = 'closed';
		clearTimeout(this.handshakeTimer);
		this.stopSending();
		dropSubscriptions(this, this.runtime);
		dropQueries(this, this.runtime);
		if (this.session !== undefined) this.runtime.sessions.release(this.session, this);
		applyDisconnectWrites(this, this.occasional?.disconnectWrites, this.runtime);
		this.runtime.connectionClosed(this);
		if (this.opened) callHook(this.runtime, 'server:clientDisconnect', { id: this.id }, this);
	}
}

/**
 * Whether clients may combine writes to one path that wait behind their window of unanswered
 * writes (see WELCOME's `combine`): only where nothing could tell the difference. No hook
 * decides writes one by one (`server:update`, `server:delete`), no shared log orders them one by
 * one, and subscribers get changes gathered per interval, not each one.
 */
function writesCombine(runtime: ServerRuntime): boolean {
	return runtime.fanout.updateInterval > 0 && runtime.log === undefined && !runtime.hooks.has('server:update') && !runtime.hooks.has('server:delete');
}
