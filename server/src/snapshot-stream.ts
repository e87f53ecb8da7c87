import { encodeMessage, MessageType, readFirstSlice, SocketDBError, toSocketDBError, type SliceBudget, type SliceReader, type Store } from '@socketdb/core';
import type { Limits } from './limits';

/** Most nodes one slice holds. */
const SLICE_NODES = 1024;
/** About the most bytes one slice holds (estimated before encoding). */
const SLICE_BYTES = 64 * 1024;
/** The next slice is read only while less than this waits in the socket (and at most a quarter of `slowConsumerBytes`). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** How often a stream looks again while the socket drains. */
const DRAIN_POLL_MS = 2;
/** The shortest pause between two slices. */
const MIN_PAUSE_MS = 1;

/** Where a snapshot's messages go: the subscriber's connection. */
export interface SnapshotOutlet {
	readonly socket: { readonly bufferedAmount: number };
	/** Queues a message for the connection's next frame. */
	enqueue(message: Uint8Array): void;
}

/** What a running stream reports to its connection. */
export interface StreamTarget extends SnapshotOutlet {
	/** The last slice is queued. */
	snapshotSent(stream: SnapshotStream): void;
	/** The value will not be sent (too large, or the store failed); nothing was queued since the error. */
	snapshotFailed(stream: SnapshotStream, error: SocketDBError): void;
	/** The changes held for after the last slice outgrew `slowConsumerBytes`: the stream stopped, and the value must be sent again. */
	snapshotFellBehind(stream: SnapshotStream): void;
	/** The client read nothing for `slowConsumerCloseMs` while a stream waited for it. */
	readTooSlowly(stream: SnapshotStream): void;
}

/**
 * Sends the value at `path` to a subscriber: one SNAPSHOT when it fits in one slice (the
 * common case, with no timer or promise: the result is `undefined`), otherwise the first slice
 * now and a stream for the rest, which runs once started. A value that cannot be sent comes
 * back as the error to refuse it with, and nothing is queued. The subscriber must already be
 * registered for the path's changes, so that every change made after the first slice is read
 * reaches it.
 */
export function sendSnapshot(outlet: SnapshotOutlet, store: Store, limits: Limits, path: string, id: number, rev: number): SnapshotStream | SocketDBError | undefined {
	let rest: SliceReader | undefined;
	let bytes: Uint8Array;
	try {
		const first = readFirstSlice(store, path, sliceBudget(limits));
		rest = first.rest;
		bytes = encodeMessage(rest === undefined ? { type: MessageType.SNAPSHOT, path, node: first.node, id, rev } : { type: MessageType.SNAPSHOT, path, node: first.node, id, rev, more: true });
	} catch (error) {
		return readFailure(path, error);
	}
	if (bytes.byteLength > limits.maxSnapshotBytes) return tooLarge(path, limits);
	outlet.enqueue(bytes);
	return rest === undefined ? undefined : new SnapshotStream(rest, limits, path, id, bytes.byteLength);
}

/**
 * The rest of a large value, one slice at a time: each slice is read and queued in the same
 * synchronous step, so it sits in order with the changes around it. The next one is read after
 * a pause as long as the slice took, and only once the socket has drained below a bound. The
 * encoded bytes are counted against `limits.maxSnapshotBytes`.
 */
export class SnapshotStream {
	private timer: ReturnType<typeof setTimeout> | undefined;
	private cancelled = false;
	/** Changes held for after the last slice, when the slices show the value as it was at the start. */
	private held: Uint8Array[] | undefined;
	private heldBytes = 0;
	/** Since when the stream waits for the socket to drain (`Date.now()`), or 0. */
	private waitingSince = 0;
	private readonly budget: SliceBudget;
	private readonly maxBuffered: number;
	private target: StreamTarget | undefined;

	constructor(
		private readonly reader: SliceReader,
		private readonly limits: Limits,
		readonly path: string,
		readonly id: number,
		private sent: number,
	) {
		if (reader.readAtOpen === true) this.held = [];
		this.budget = sliceBudget(limits);
		this.maxBuffered = maxBuffered(limits);
	}

	/** Starts sending the rest from the next event-loop turn on. */
	start(target: StreamTarget): void {
		this.target = target;
		this.timer = setTimeout(this.step, MIN_PAUSE_MS);
	}

	/**
	 * Keeps an encoded change of the path for after the last slice, when the slices show the
	 * value as it was when the stream started. False when the stream holds nothing back.
	 */
	hold(message: Uint8Array): boolean {
		if (this.held === undefined) return false;
		this.held.push(message);
		this.heldBytes += message.byteLength;
		if (this.heldBytes > this.limits.slowConsumerBytes) {
			this.cancel();
			this.target!.snapshotFellBehind(this);
		}
		return true;
	}

	/** Stops sending; nothing more is queued. */
	cancel(): void {
		this.cancelled = true;
		this.held = undefined;
		clearTimeout(this.timer);
		this.timer = undefined;
	}

	private readonly step = (): void => {
		this.timer = undefined;
		const target = this.target;
		if (this.cancelled || target === undefined) return;
		if (target.socket.bufferedAmount >= this.maxBuffered) return this.waitForDrain(target);
		this.waitingSince = 0;
		const startedAt = performance.now();
		let done: boolean;
		try {
			const slice = this.reader.next(this.budget);
			done = slice.done;
			if (slice.node !== null) {
				const bytes = encodeMessage({ type: MessageType.SNAPSHOT_PART, id: this.id, node: slice.node });
				this.sent += bytes.byteLength;
				if (this.sent > this.limits.maxSnapshotBytes) return this.fail(target, tooLarge(this.path, this.limits));
				target.enqueue(bytes);
			}
		} catch (error) {
			return this.fail(target, readFailure(this.path, error));
		}
		if (!done) {
			// As long a pause as the slice took: a stream uses at most about half of the event loop,
			// so the writes and acknowledgements of other clients are never queued behind it for long.
			this.timer = setTimeout(this.step, Math.max(MIN_PAUSE_MS, performance.now() - startedAt));
			return;
		}
		target.enqueue(encodeMessage({ type: MessageType.SNAPSHOT_END, id: this.id }));
		for (const message of this.held ?? []) target.enqueue(message);
		this.cancel();
		target.snapshotSent(this);
	};

	private waitForDrain(target: StreamTarget): void {
		const now = Date.now();
		if (this.waitingSince === 0) this.waitingSince = now;
		else if (now - this.waitingSince > this.limits.slowConsumerCloseMs) {
			this.cancel();
			return target.readTooSlowly(this);
		}
		this.timer = setTimeout(this.step, DRAIN_POLL_MS);
	}

	private fail(target: StreamTarget, error: SocketDBError): void {
		this.cancel();
		target.snapshotFailed(this, error);
	}
}

/** What one slice may hold: also the most a change list sent in one message (a DELTA) may take. */
export function sliceBudget(limits: Limits): SliceBudget {
	return { nodes: SLICE_NODES, bytes: Math.min(SLICE_BYTES, maxBuffered(limits) / 4) };
}

function maxBuffered(limits: Limits): number {
	return Math.min(MAX_BUFFERED_BYTES, limits.slowConsumerBytes / 4);
}

function tooLarge(path: string, limits: Limits): SocketDBError {
	return new SocketDBError(
		'PAYLOAD_TOO_LARGE',
		`the value at "${path}" is larger than limits.maxSnapshotBytes (${limits.maxSnapshotBytes} bytes); subscribe to a smaller path, or list its keys with onKeys() or use a query`,
	);
}

function readFailure(path: string, error: unknown): SocketDBError {
	const failure = toSocketDBError(error, 'INTERNAL_ERROR');
	return new SocketDBError(failure.code, `reading the value at "${path}" failed: ${failure.message}`);
}
