import {
	anchorAtPath,
	assertPath,
	concatBytes,
	decodeFrame,
	encodeMessage,
	MessageType,
	parseClientMessage,
	parsePath,
	PROTOCOL_VERSION,
	SocketDBError,
	storeKeys,
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
import type { Subscriber, SubscriptionKind } from './fanout';
import { answeredPing, keepAliveRound } from './keep-alive';
import { ConnectionExtras } from './connection-extras';
import { RateLimiter } from './limits';
import { checkWrite } from './request-checks';
import type { ServerRuntime } from './runtime';
import { smallSetAdd, smallSetDelete, smallSetHas, smallSetMembers, smallSetSize, type SmallSet } from './small-set';
import { startSnapshot, type SnapshotHost, type SnapshotStreams } from './connection-snapshots';
import type { Client, SessionContext } from './types';
import { jsonDetails } from './write-path';
import type { WriteSession } from './write-sessions';

/** How long a new connection may take to say hello. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** The longest an acknowledgement waits for other messages to share its frame. */
const ACK_DELAY_MS = 1;

type State = 'handshake' | 'open' | 'closing' | 'closed';

/**
 * One client connection on the server: the handshake, decoding and checking what the
 * client sends, its subscriptions, and batching what goes back into frames.
 */
export class ClientConnection implements Subscriber, SnapshotHost {
	/** The `Client` handed to hooks and `getClient`, made on first use (most connections never need it). */
	private clientHandle: Client | undefined;
	state: State = 'handshake';
	/** False between a keep-alive ping and the client's answer. */
	alive = true;
	/** This client's write session, attached at its first write (or at the handshake when it resumes one). */
	private session: WriteSession | undefined;
	/** The session id the client said hello with; undefined until the handshake completed. */
	private sessionId: string | undefined;
	/** Paths this connection subscribes to, by kind. */
	private valuePaths: SmallSet;
	private keysPaths: SmallSet;
	/** Messages for the next frame; no array while there are none (most connections are idle). */
	private outgoing: Uint8Array[] | undefined;
	private flushScheduled = false;
	private ackTimer: ReturnType<typeof setTimeout> | undefined;
	/** When `ackTimer` is due (`performance.now()` time). */
	private ackDueAt = 0;
	/** True while more than `limits.slowConsumerBytes` wait to be sent: updates are then dropped and marked stale. */
	private congested = false;
	/** The app version the client reported at its hello. */
	version: string | undefined;
	private occasional: ConnectionExtras | undefined;
	private handshakeTimer: ReturnType<typeof setTimeout> | undefined;

	constructor(
		readonly socket: SocketConnection,
		readonly id: string,
		private sessionContext: SessionContext | undefined,
		private readonly runtime: ServerRuntime,
	) {
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

	/** `client.send`: a message for the client's `'client:message'` hook. Dropped once the connection is closing. */
	sendMessage(data: unknown): void {
		validateJson(data, { maxDepth: Infinity, maxKeys: Infinity });
		if (this.state === 'open') this.send({ type: MessageType.MESSAGE, data });
	}

	/** Queues a message and makes sure it is sent at the end of this tick. */
	enqueue(message: Uint8Array): void {
		(this.outgoing ??= []).push(message);
		if (this.flushScheduled) return;
		this.flushScheduled = true;
		setImmediate(() => {
			this.flushScheduled = false;
			this.flush();
		});
	}

	/**
	 * Queues an acknowledgement: it goes out with the next frame, or at the latest after
	 * ACK_DELAY_MS. A client writing fast then gets its acknowledgements several per frame
	 * instead of paying a socket write each. With a durable store, the acknowledgements were
	 * already gathered while the store synced, so they go out at the end of this tick.
	 */
	private enqueueAck(message: Uint8Array): void {
		if (this.runtime.store.flush !== undefined) return this.enqueue(message);
		(this.outgoing ??= []).push(message);
		if (this.flushScheduled || this.ackTimer !== undefined) return;
		this.ackDueAt = performance.now() + ACK_DELAY_MS;
		this.ackTimer = setTimeout(() => {
			this.ackTimer = undefined;
			this.flush();
		}, ACK_DELAY_MS);
	}

	pushUpdate(kind: SubscriptionKind, path: string, message: Uint8Array): void {
		if (this.congested) (this.extras.stale ??= { value: new Set(), keys: new Set() })[kind].add(path);
		else if (kind === 'value' && this.occasional?.streams?.hold(path, message) === true) return;
		else (this.outgoing ??= []).push(message);
	}

	flush(): void {
		if (this.outgoing === undefined || this.state === 'closed') return;
		const frame = concatBytes(this.outgoing);
		this.outgoing = undefined;
		this.socket.send(frame);
		if (!this.congested && this.socket.bufferedAmount > this.runtime.limits.slowConsumerBytes) {
			this.congested = true;
			this.extras.congestedSince = Date.now();
			this.runtime.watchCongestion(this);
		}
	}

	/**
	 * Checks a congested connection: once it caught up, sends the latest state of every path
	 * whose updates were dropped; if it stays behind for too long, closes it.
	 * Returns true when it needs no more watching.
	 */
	relieve(now: number): boolean {
		if (this.state !== 'open') return true;
		const { limits, fanout, store } = this.runtime;
		if (this.socket.bufferedAmount > limits.slowConsumerBytes / 2) {
			if (now - this.extras.congestedSince < limits.slowConsumerCloseMs) return false;
			this.goodbye({ reason: 'slow-consumer', message: `the client read too slowly: more than ${limits.slowConsumerBytes} bytes waited to be sent for ${limits.slowConsumerCloseMs} ms` });
			return true;
		}
		this.congested = false;
		const stale = this.occasional?.stale;
		if (stale !== undefined) this.extras.stale = undefined;
		for (const path of stale?.value ?? []) {
			const id = fanout.idOf(path);
			if (id !== undefined && smallSetHas(this.valuePaths, path)) startSnapshot(this, this.runtime, path, id);
		}
		for (const path of stale?.keys ?? []) {
			if (smallSetHas(this.keysPaths, path)) (this.outgoing ??= []).push(encodeMessage({ type: MessageType.KEYS_SNAPSHOT, path, keys: storeKeys(store, path) }));
		}
		this.flush();
		return !this.congested;
	}

	send(message: ServerMessage): void {
		this.enqueue(encodeMessage(message));
	}

	/** Says goodbye with `goodbye` and closes the connection. */
	goodbye(goodbye: GoodbyeMessage): void {
		if (this.finished) return;
		this.state = 'closing';
		this.send({ type: MessageType.GOODBYE, goodbye });
		this.flush();
		this.socket.close(1000, 'reason' in goodbye && typeof goodbye.reason === 'string' ? goodbye.reason.slice(0, 120) : undefined);
	}

	/** One keep-alive round: close a client that never answered, otherwise ping it. */
	keepAliveCheck(): void {
		keepAliveRound(this, this.runtime);
	}

	/** True once the handshake completed (whatever happened since). */
	get opened(): boolean {
		return this.sessionId !== undefined;
	}

	/** True once the connection is closing or closed: nothing it sends is processed any more. */
	get finished(): boolean {
		return this.state === 'closing' || this.state === 'closed';
	}

	private receive(frame: Uint8Array | string): void {
		if (this.finished) return;
		if (typeof frame === 'string') return this.protocolError(new SocketDBError('INVALID_FRAME', 'text frames are not part of the protocol; send binary MessagePack frames'));
		if (frame.byteLength > this.runtime.limits.maxFrameBytes) {
			return this.protocolError(new SocketDBError('PAYLOAD_TOO_LARGE', `frames may be at most ${this.runtime.limits.maxFrameBytes} bytes`));
		}
		let messages: unknown[];
		try {
			messages = decodeFrame(frame);
		} catch (error) {
			return this.protocolError(toSocketDBError(error, 'INVALID_FRAME'));
		}
		for (const raw of messages) {
			if (this.finished) return;
			let message: ClientMessage;
			try {
				message = parseClientMessage(raw);
			} catch (error) {
				this.protocolError(toSocketDBError(error, 'INVALID_MESSAGE'), raw);
				continue;
			}
			if (this.state === 'handshake') this.handshake(message);
			else this.handle(message);
		}
		// A fast writer keeps its socket readable, and one event-loop turn may then process
		// thousands of its frames before any timer runs: what is due goes out in between.
		const now = performance.now();
		if (this.ackTimer !== undefined && now >= this.ackDueAt) {
			clearTimeout(this.ackTimer);
			this.ackTimer = undefined;
			this.flush();
		}
		this.runtime.fanout.flushIfOverdue(now);
	}

	/** Refuses a request for bad input (see `protocolError`). */
	refuse(error: SocketDBError): void {
		this.protocolError(error);
	}

	/** Answers a bad frame or message: a refusal when it carried a write's number, an error otherwise. */
	private protocolError(error: SocketDBError, raw?: unknown): void {
		if (this.state === 'handshake') return this.goodbye({ reason: 'protocol-error', message: error.message });
		const seq = Array.isArray(raw) && (raw[0] === MessageType.SET || raw[0] === MessageType.DELETE) ? raw[1] : undefined;
		if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0) this.reject(seq, error);
		else this.send({ type: MessageType.ERROR, code: error.code, message: error.message });
		this.badRequest(error);
	}

	/**
	 * Counts a request refused for bad input and logs it once; a connection that keeps
	 * sending them is told goodbye.
	 */
	badRequest(error: SocketDBError): void {
		if (this.finished) return;
		this.runtime.report(error, { client: this.client });
		const { badRequestsPerMinute } = this.runtime.limits;
		if ((this.extras.badRequests ??= new RateLimiter(badRequestsPerMinute / 60, badRequestsPerMinute)).take()) return;
		this.goodbye({ reason: 'too-many-errors', message: `more than ${badRequestsPerMinute} bad requests in a minute; the last: ${error.code}: ${error.message}` });
	}

	private handshake(message: ClientMessage): void {
		if (message.type !== MessageType.HELLO) return this.goodbye({ reason: 'protocol-error', message: 'the first message must be hello' });
		clearTimeout(this.handshakeTimer);
		this.handshakeTimer = undefined;
		if (message.protocol !== PROTOCOL_VERSION) {
			return this.goodbye({
				reason: 'unsupported-protocol',
				message: `this server speaks protocol version ${PROTOCOL_VERSION}, the client speaks ${String(message.protocol)}; upgrade the client and server to matching versions`,
			});
		}
		if (this.runtime.openConnections() >= this.runtime.limits.maxConnections) {
			return this.goodbye({ reason: 'too-many-connections', message: `the server accepts at most ${this.runtime.limits.maxConnections} connections` });
		}
		this.sessionId = message.session;
		const { tracking, limits } = this.runtime;
		this.version = message.info.version;
		if (tracking.routes && message.info.route !== undefined && message.info.route.length <= limits.maxPathLength) this.extras.route = message.info.route;
		if (tracking.ips) this.extras.ip = clientIp(this.socket, tracking.trustProxy);
		// A client resuming a session (it wrote before) gets it now, so that resent writes are
		// recognised; a new one gets its session at its first write.
		const { sessions } = this.runtime;
		if (message.acked > 0 || sessions.has(message.session)) this.session = sessions.attach(message.session, this, message.acked);
		this.state = 'open';
		this.runtime.connectionOpened(this);
		this.send({ type: MessageType.WELCOME, protocol: PROTOCOL_VERSION, id: this.id, maxFrameBytes: this.runtime.limits.maxFrameBytes });
		callHook(this.runtime, 'server:clientConnect', { id: this.id }, this);
	}

	private handle(message: ClientMessage): void {
		switch (message.type) {
			case MessageType.HELLO:
				return this.protocolError(new SocketDBError('INVALID_MESSAGE', 'hello was already received'));
			case MessageType.SET:
			case MessageType.DELETE:
				return this.write(message);
			case MessageType.SUBSCRIBE:
			case MessageType.UNSUBSCRIBE:
			case MessageType.SUBSCRIBE_KEYS:
			case MessageType.UNSUBSCRIBE_KEYS:
				return this.subscription(message);
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

	private write(message: Extract<ClientMessage, { type: typeof MessageType.SET | typeof MessageType.DELETE }>): void {
		const session = (this.session ??= this.runtime.sessions.attach(this.sessionId!, this, 0));
		const { seq } = message;
		if (seq <= session.lastSeq) return this.answerResend(session, seq);
		const { limits, writePath } = this.runtime;
		try {
			checkWrite(message, limits);
			if (!(this.extras.rateLimiter ??= new RateLimiter(limits.writesPerSecond, limits.writeBurst)).take()) throw new SocketDBError('RATE_LIMITED', `writes are limited to ${limits.writesPerSecond} per second`);
		} catch (thrown) {
			// Remembered like any refusal, so a resend after a lost answer is refused again, not acknowledged.
			const error = toSocketDBError(thrown, 'INVALID_MESSAGE');
			session.lastSeq = seq;
			session.rememberRefusal(seq, error, this.runtime.sessions.options.maxRefusals);
			this.reject(seq, error);
			return this.badRequest(error);
		}
		session.lastSeq = seq;
		session.started(seq);
		session.queue.run(() => {
			const settle = (error?: SocketDBError) => this.settleWrite(session, seq, error);
			try {
				const applied =
					message.type === MessageType.SET
						? writePath.update(anchorAtPath(parsePath(message.path), message.node), this)
						: writePath.delete(message.path, this);
				if (applied === undefined) return writePath.afterDurable(settle);
				return applied.then(
					() => writePath.afterDurable(settle),
					(error: unknown) => settle(toSocketDBError(error, 'INTERNAL_ERROR')),
				);
			} catch (error) {
				settle(toSocketDBError(error, 'INTERNAL_ERROR'));
			}
		});
	}

	private settleWrite(session: WriteSession, seq: number, error: SocketDBError | undefined): void {
		session.settled(seq);
		if (error !== undefined) session.rememberRefusal(seq, error, this.runtime.sessions.options.maxRefusals);
		const owner = session.owner as ClientConnection | undefined;
		if (owner === undefined || owner.state !== 'open') return;
		if (error === undefined) owner.enqueueAck(encodeMessage({ type: MessageType.ACK, seq }));
		else owner.reject(seq, error);
	}

	/** A write the session already received: answer with its outcome, or wait for it if still running. */
	private answerResend(session: WriteSession, seq: number): void {
		if (session.isInFlight(seq)) return;
		const refusal = session.refusalOf(seq);
		if (refusal !== undefined) this.reject(seq, refusal);
		else this.send({ type: MessageType.ACK, seq });
	}

	private reject(seq: number, error: SocketDBError): void {
		this.send({ type: MessageType.REJECT, seq, code: error.code, message: error.message, details: jsonDetails(error.details) });
	}

	private subscription(message: Extract<ClientMessage, { path: string }>): void {
		const { limits } = this.runtime;
		try {
			assertPath(message.path, limits.maxPathLength);
		} catch (error) {
			return this.protocolError(toSocketDBError(error, 'INVALID_PATH'));
		}
		const { path } = message;
		const adding = message.type === MessageType.SUBSCRIBE || message.type === MessageType.SUBSCRIBE_KEYS;
		const held = smallSetSize(this.valuePaths) + smallSetSize(this.keysPaths);
		if (adding && held >= limits.maxSubscriptionsPerConnection && !smallSetHas(this.valuePaths, path) && !smallSetHas(this.keysPaths, path)) {
			const error = new SocketDBError('TOO_MANY_SUBSCRIPTIONS', `a connection may hold at most ${limits.maxSubscriptionsPerConnection} subscriptions; "${path}" was not subscribed`);
			this.send({ type: MessageType.ERROR, code: error.code, message: error.message });
			return this.badRequest(error);
		}
		// Subscriptions queue behind this client's writes, so a client always reads its own writes.
		const apply = () => this.afterWrites(() => {
			if (this.state !== 'open') return;
			const { fanout, store } = this.runtime;
			switch (message.type) {
				case MessageType.SUBSCRIBE: {
					// Registered first: every change after this reaches the client, whenever its slice is read.
					const id = fanout.subscribeValue(this, path);
					this.valuePaths = smallSetAdd(this.valuePaths, path);
					return startSnapshot(this, this.runtime, path, id);
				}
				case MessageType.UNSUBSCRIBE:
					return this.dropValue(path);
				case MessageType.SUBSCRIBE_KEYS: {
					fanout.subscribeKeys(this, path);
					this.keysPaths = smallSetAdd(this.keysPaths, path);
					return this.send({ type: MessageType.KEYS_SNAPSHOT, path, keys: storeKeys(store, path) });
				}
				case MessageType.UNSUBSCRIBE_KEYS:
					fanout.unsubscribeKeys(this, path);
					this.keysPaths = smallSetDelete(this.keysPaths, path);
					return;
			}
		});
		const { hooks, api } = this.runtime;
		if (adding && hooks.has('server:subscribe')) {
			const keys = message.type === MessageType.SUBSCRIBE_KEYS;
			return this.inOrder(() =>
				hooks.call('server:subscribe', { path, keys }, { client: this.client, api }).then(apply, (thrown: unknown) => {
					const error = toSocketDBError(thrown, 'FORBIDDEN');
					this.runtime.report(error, { hook: 'server:subscribe', client: this.client });
					if (this.state === 'open') this.send({ type: MessageType.ERROR, code: error.code, message: `subscribing to "${path}" was refused: ${error.message}` });
				}),
			);
		}
		if (this.occasional?.subscriptionsInFlight === undefined) apply();
		else this.inOrder(apply);
	}

	/** This connection's running snapshot streams, if any. */
	get streams(): SnapshotStreams | undefined {
		return this.occasional?.streams;
	}

	dropValue(path: string): void {
		this.occasional?.streams?.stop(path);
		this.runtime.fanout.unsubscribeValue(this, path);
		this.valuePaths = smallSetDelete(this.valuePaths, path);
	}

	/** Runs subscription steps one after the other while a `server:subscribe` hook is deciding one. */
	private inOrder(step: () => unknown): void {
		const more = this.extras;
		const link = (more.subscriptionsInFlight ?? Promise.resolve()).then(step);
		more.subscriptionsInFlight = link;
		void link.then(() => {
			if (more.subscriptionsInFlight === link) more.subscriptionsInFlight = undefined;
		});
	}

	/** Runs `task` once this client's writes received so far are done (at once when there are none). */
	private afterWrites(task: () => void): void {
		if (this.session === undefined) task();
		else this.session.queue.run(task);
	}

	private closed(): void {
		if (this.state === 'closed') return;
		this.state = 'closed';
		clearTimeout(this.handshakeTimer);
		clearTimeout(this.ackTimer);
		this.outgoing = undefined;
		this.occasional?.streams?.stopAll();
		const { fanout, sessions } = this.runtime;
		for (const path of smallSetMembers(this.valuePaths)) fanout.unsubscribeValue(this, path);
		for (const path of smallSetMembers(this.keysPaths)) fanout.unsubscribeKeys(this, path);
		this.valuePaths = undefined;
		this.keysPaths = undefined;
		if (this.occasional !== undefined) this.occasional.stale = undefined;
		if (this.session !== undefined) sessions.release(this.session, this);
		this.runtime.connectionClosed(this);
		if (this.opened) callHook(this.runtime, 'server:clientDisconnect', { id: this.id }, this);
	}
}
