import { MessageType, readFirstSlice, type GoodbyeMessage, type ServerMessage, type SocketDBError, type Store } from '@socketdb/core';
import { deltaOps, diffBytes } from './delta';
import type { ServerRuntime } from './runtime';
import { sendSnapshot, sliceBudget, SnapshotStream, type SnapshotOutlet, type StreamTarget } from './snapshot-stream';
import type { Client } from './types';

/** A connection as its snapshots see it. */
export interface SnapshotHost extends SnapshotOutlet {
	readonly state: string;
	readonly client: Client;
	/** Its running streams, if any, read without making the connection's rarely used state. */
	readonly streams: SnapshotStreams | undefined;
	readonly extras: { streams: SnapshotStreams | undefined };
	send(message: ServerMessage): void;
	goodbye(goodbye: GoodbyeMessage): void;
	/** Refuses a request for bad input with `answer`, and counts and logs it. */
	refuse(error: SocketDBError, answer: ServerMessage): void;
	/** Drops the value subscription at `path` on the server's side. */
	dropValue(path: string): void;
}

/**
 * Sends the value at a subscribed path: at once when it is small, otherwise as a stream that
 * replaces one still running for the path. A value that cannot be sent drops the subscription.
 */
export function startSnapshot(host: SnapshotHost, runtime: ServerRuntime, path: string, id: number): void {
	host.streams?.stop(path);
	// Changes after this revision reach the subscriber as DATA, whenever its slices are read.
	const sent = sendSnapshot(host, runtime.store, runtime.limits, path, id, runtime.writePath.revision);
	if (sent instanceof SnapshotStream) (host.extras.streams ??= new SnapshotStreams(host, runtime)).add(sent);
	else if (sent !== undefined) refuseValue(host, runtime, path, sent);
}

/**
 * Answers a subscription whose client holds the value as of revision `since` with the changes
 * made since then (DELTA), and returns true; false when the value must be sent whole instead:
 * the history does not reach back to `since` (or `since` is not a revision of this database),
 * the changes would need more than one message (a slice's bytes), or the value is no larger
 * than they are. Like a snapshot, it shows the store as of now: the subscriber is registered
 * already, and later changes follow as DATA.
 */
export function resumeValue(host: SnapshotHost, runtime: ServerRuntime, path: string, id: number, since: number): boolean {
	const { writePath, store, limits } = runtime;
	const changes = writePath.history.since(since, writePath.revision);
	if (changes === undefined) return false;
	const delta = deltaOps(changes, path, sliceBudget(limits).bytes);
	if (delta === undefined) return false;
	if (delta.ops.length > 0 && valueFits(store, path, delta.bytes)) return false;
	host.streams?.stop(path);
	host.send({ type: MessageType.DELTA, path, id, ops: delta.ops, rev: writePath.revision });
	return true;
}

/**
 * Whether the value at `path` takes at most `bytes` (estimated, as slices are): read as one
 * slice of that size, so finding out costs about what sending the changes would.
 */
function valueFits(store: Store, path: string, bytes: number): boolean {
	try {
		// A slice holds at least one node, so a slice that holds the whole value may hold more than `bytes`.
		const first = readFirstSlice(store, path, { nodes: Number.MAX_SAFE_INTEGER, bytes });
		return first.done && (first.node === null || diffBytes(first.node) <= bytes);
	} catch {
		// The snapshot that is sent instead reads the value again and reports the failure.
		return true;
	}
}

/** Drops the subscription whose value cannot be sent, and tells the client why. */
function refuseValue(host: SnapshotHost, runtime: ServerRuntime, path: string, error: SocketDBError): void {
	if (host.state !== 'open') return;
	host.dropValue(path);
	const abort: ServerMessage = { type: MessageType.SNAPSHOT_ABORT, path, code: error.code, message: error.message };
	// Too large a value is the client's request over a limit; a store failure is the server's.
	if (error.code === 'PAYLOAD_TOO_LARGE') return host.refuse(error, abort);
	host.send(abort);
	runtime.report(error, { client: host.client });
}

/** The streams of one connection, at most one per subscribed path, made when the first starts. */
export class SnapshotStreams implements StreamTarget {
	private readonly running = new Map<string, SnapshotStream>();

	constructor(
		private readonly host: SnapshotHost,
		private readonly runtime: ServerRuntime,
	) {}

	get socket(): SnapshotOutlet['socket'] {
		return this.host.socket;
	}

	enqueue(message: Uint8Array): void {
		this.host.enqueue(message);
	}

	add(stream: SnapshotStream): void {
		this.running.set(stream.path, stream);
		stream.start(this);
	}

	stop(path: string): void {
		this.running.get(path)?.cancel();
		this.running.delete(path);
	}

	stopAll(): void {
		for (const stream of this.running.values()) stream.cancel();
		this.running.clear();
	}

	/** Holds a change of `path` back when the path's stream shows the value as it was at its start. */
	hold(path: string, message: Uint8Array): boolean {
		return this.running.get(path)?.hold(message) === true;
	}

	snapshotSent(stream: SnapshotStream): void {
		this.forget(stream);
	}

	snapshotFailed(stream: SnapshotStream, error: SocketDBError): void {
		if (this.forget(stream)) refuseValue(this.host, this.runtime, stream.path, error);
	}

	/** The changes held back outgrew their bound: the value is read and sent again, from now. */
	snapshotFellBehind(stream: SnapshotStream): void {
		if (this.forget(stream)) startSnapshot(this.host, this.runtime, stream.path, stream.id);
	}

	readTooSlowly(stream: SnapshotStream): void {
		if (!this.forget(stream)) return;
		const wait = this.runtime.limits.slowConsumerCloseMs;
		this.host.goodbye({ reason: 'slow-consumer', message: `the client read too slowly: the value at "${stream.path}" waited ${wait} ms to be sent` });
	}

	private forget(stream: SnapshotStream): boolean {
		if (this.running.get(stream.path) !== stream) return false;
		this.running.delete(stream.path);
		return true;
	}
}
