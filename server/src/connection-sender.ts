import { concatBytes, encodeMessage, MessageType, type GoodbyeMessage, type ServerMessage, type SocketConnection, type SocketDBError } from '@socketdb/core';
import type { SnapshotStreams } from './connection-snapshots';
import type { Subscriber, SubscriptionKind } from './fanout';
import type { ServerRuntime } from './runtime';

/** The longest an acknowledgement waits for other messages to share its frame. */
const ACK_DELAY_MS = 1;

export type ConnectionState = 'handshake' | 'open' | 'closing' | 'closed';

/** Paths (for queries, their numbers) whose updates a congested connection dropped, by kind. */
export type StalePaths = Record<SubscriptionKind, Set<string>>;

/** Since when a connection is congested, and the paths whose updates it dropped meanwhile. */
type Congestion = { readonly since: number; stale: StalePaths | undefined };

/**
 * The send side of a connection: messages queued into one frame per tick, acknowledgements held
 * briefly to share a frame, updates pushed by the fan-out, and relief for a client that reads too
 * slowly. `ClientConnection` extends it (rather than holding one) so that a connection stays one
 * object: idle connections are many, and each object costs its header.
 */
export abstract class ConnectionSender implements Subscriber {
	abstract state: ConnectionState;
	/** Messages for the next frame; no array while there are none (most connections are idle). */
	private outgoing: Uint8Array[] | undefined;
	private flushScheduled = false;
	private ackTimer: ReturnType<typeof setTimeout> | undefined;
	/** When `ackTimer` is due (`performance.now()` time). */
	private ackDueAt = 0;
	/** Set while more than `limits.slowConsumerBytes` wait to be sent: updates are then dropped and marked stale. */
	private congestion: Congestion | undefined;

	constructor(
		readonly socket: SocketConnection,
		protected readonly runtime: ServerRuntime,
	) {}

	/** This connection's running snapshot streams, if any. */
	abstract get streams(): SnapshotStreams | undefined;
	abstract goodbye(goodbye: GoodbyeMessage): void;
	/** Sends the latest state of the paths whose updates were dropped while congested. */
	protected abstract resend(stale: StalePaths): void;

	send(message: ServerMessage): void {
		this.enqueue(encodeMessage(message));
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
	 * Acknowledges a write: it goes out with the next frame, or at the latest after
	 * ACK_DELAY_MS. A client writing fast then gets its acknowledgements several per frame
	 * instead of paying a socket write each. With a durable store, the acknowledgements were
	 * already gathered while the store synced, so they go out at the end of this tick. `rev`: the
	 * revision the data holds the write as of (see the ACK message).
	 */
	acknowledge(seq: number, rev: number, committed?: { value: unknown }): void {
		const message = encodeMessage(committed === undefined ? { type: MessageType.ACK, seq, rev } : { type: MessageType.ACK, seq, rev, value: committed.value });
		if (this.runtime.store.flush !== undefined) return this.enqueue(message);
		(this.outgoing ??= []).push(message);
		if (this.flushScheduled || this.ackTimer !== undefined) return;
		this.ackDueAt = performance.now() + ACK_DELAY_MS;
		this.ackTimer = setTimeout(() => {
			this.ackTimer = undefined;
			this.flush();
		}, ACK_DELAY_MS);
	}

	/** Answers a write with its refusal. */
	reject(seq: number, error: SocketDBError): void {
		this.send(rejection(seq, error));
	}

	pushUpdate(kind: SubscriptionKind, path: string, message: Uint8Array): void {
		const congestion = this.congestion;
		if (congestion !== undefined) (congestion.stale ??= { value: new Set(), keys: new Set(), query: new Set() })[kind].add(path);
		else if (kind === 'value' && this.streams?.hold(path, message) === true) return;
		else (this.outgoing ??= []).push(message);
	}

	flush(): void {
		if (this.outgoing === undefined || this.state === 'closed') return;
		const frame = concatBytes(this.outgoing);
		this.outgoing = undefined;
		this.socket.send(frame);
		if (this.congestion === undefined && this.socket.bufferedAmount > this.runtime.limits.slowConsumerBytes) {
			this.congestion = { since: Date.now(), stale: undefined };
			this.runtime.watchCongestion(this);
		}
	}

	/**
	 * Checks a congested connection: once it caught up, sends the latest state of every path
	 * whose updates were dropped; if it stays behind for too long, closes it.
	 * Returns true when it needs no more watching.
	 */
	relieve(now: number): boolean {
		const congestion = this.congestion;
		if (this.state !== 'open' || congestion === undefined) return true;
		const { limits } = this.runtime;
		if (this.socket.bufferedAmount > limits.slowConsumerBytes / 2) {
			if (now - congestion.since < limits.slowConsumerCloseMs) return false;
			this.goodbye({ reason: 'slow-consumer', message: `the client read too slowly: more than ${limits.slowConsumerBytes} bytes waited to be sent for ${limits.slowConsumerCloseMs} ms` });
			return true;
		}
		this.congestion = undefined;
		if (congestion.stale !== undefined) this.resend(congestion.stale);
		this.flush();
		return this.congestion === undefined;
	}

	/** A fast writer's frames can keep timers from running: sends its acknowledgements once they are due. */
	protected sendOverdueAcks(now: number): void {
		if (this.ackTimer === undefined || now < this.ackDueAt) return;
		clearTimeout(this.ackTimer);
		this.ackTimer = undefined;
		this.flush();
	}

	/** Drops what waits to be sent, once the connection is closed. */
	protected stopSending(): void {
		clearTimeout(this.ackTimer);
		this.outgoing = undefined;
		this.congestion = undefined;
	}
}

export function errorMessage(error: SocketDBError): ServerMessage {
	return { type: MessageType.ERROR, code: error.code, message: error.message };
}

export function rejection(seq: number, error: SocketDBError): ServerMessage {
	return { type: MessageType.REJECT, seq, code: error.code, message: error.message, details: jsonDetails(error.details) };
}

/** Error details go to the client only when they are plain JSON. */
function jsonDetails(details: unknown): unknown {
	if (details === undefined) return undefined;
	try {
		return JSON.parse(JSON.stringify(details)) as unknown;
	} catch {
		return undefined;
	}
}
