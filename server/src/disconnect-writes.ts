import { anchorAtPath, cloneNode, holdsServerValues, isChildPath, parsePath, SocketDBError, toSocketDBError, type GoodbyeMessage, type NodeDiff, type OnDisconnectMessage } from '@socketdb/core';
import { reportedClient } from './call-hook';
import { rejection } from './connection-sender';
import { answerResend, pathsOf, settleWrite, type Writing } from './connection-writes';
import { RateLimiter } from './limits';
import type { PathsUpdate } from './replication';
import { checkDisconnectWrite } from './request-checks';
import type { ServerRuntime } from './runtime';
import type { WriteSession } from './write-sessions';

/** Most `onDisconnect` writes one connection may hold: they are applied when it ends, so they bound the work a closing connection leaves. */
export const MAX_DISCONNECT_WRITES = 100;

/** A kept write: the path it was made at (what `cancel` matches) and the change, as the write path takes it. */
type DisconnectWrite = { path: string } & ({ kind: 'update'; data: NodeDiff } | { kind: 'delete'; deleted: string } | { kind: 'paths'; change: PathsUpdate });

/**
 * The `onDisconnect` writes of one connection, in the order they were registered. They are applied
 * when the connection ends, unless the server itself is closing (its clients register them again
 * with the server they reconnect to).
 */
export class DisconnectWrites {
	private writes: DisconnectWrite[] = [];
	/** True once the server said goodbye `server-shutdown`: nothing will be applied. */
	private discarded = false;

	get size(): number {
		return this.writes.length;
	}

	add(write: DisconnectWrite): void {
		this.writes.push(write);
	}

	/** Drops the writes made at `path` or below it. */
	cancel(path: string): void {
		this.writes = this.writes.filter((write) => write.path !== path && !isChildPath(write.path, path));
	}

	discard(): void {
		this.discarded = true;
		this.writes = [];
	}

	/** The writes to apply now, in order; the list is empty afterwards. */
	take(): DisconnectWrite[] {
		const writes = this.writes;
		this.writes = [];
		return this.discarded ? [] : writes;
	}
}

/** A connection as its `onDisconnect` writes see it. */
export interface DisconnectWriting extends Writing {
	readonly extras: { rateLimiter: RateLimiter | undefined; disconnectWrites: DisconnectWrites | undefined };
}

/**
 * An ON_DISCONNECT from the client: checked like the write it stands for, numbered and answered
 * like a write (a resend gets the first answer), and in the client's order. Registering runs the
 * hooks the write would run and applies nothing; a cancel drops kept writes.
 */
export function handleDisconnectWrite(connection: DisconnectWriting, message: OnDisconnectMessage, runtime: ServerRuntime): void {
	const session = (connection.session ??= runtime.sessions.attach(connection.sessionId!, connection, 0));
	const { seq } = message;
	if (seq <= session.lastSeq && !session.takeRetry(seq)) return answerResend(connection, session, message, runtime);
	session.lastSeq = Math.max(session.lastSeq, seq);
	const { limits, writePath } = runtime;
	try {
		checkDisconnectWrite(message, limits);
		if (!(connection.extras.rateLimiter ??= new RateLimiter(limits.writesPerSecond, limits.writeBurst)).take()) throw new SocketDBError('RATE_LIMITED', `writes are limited to ${limits.writesPerSecond} per second`);
	} catch (thrown) {
		return refuse(connection, session, seq, toSocketDBError(thrown, 'INVALID_MESSAGE'), runtime);
	}
	session.started(seq);
	session.queue.run(() => {
		const settle = (error?: SocketDBError) => settleWrite(session, message, error, runtime);
		if (message.op === 'cancel') {
			connection.extras.disconnectWrites?.cancel(message.path);
			return settle();
		}
		const writes = (connection.extras.disconnectWrites ??= new DisconnectWrites());
		if (writes.size >= MAX_DISCONNECT_WRITES) {
			session.settled(seq);
			const error = new SocketDBError('TOO_MANY_DISCONNECT_WRITES', `a connection may hold at most ${MAX_DISCONNECT_WRITES} onDisconnect writes; cancel some first`);
			return refuse(connection, session, seq, error, runtime);
		}
		const write = disconnectWrite(message);
		// The hooks decide on a copy (they may change what they are given); what fires is the write as sent.
		const register = () => {
			writes.add(write);
			settle();
		};
		const refused = (error: unknown) => settle(toSocketDBError(error, 'INTERNAL_ERROR'));
		try {
			const checked = writePath.check(changeOf(write, true), connection);
			if (checked === undefined) return register();
			return checked.then(register, refused);
		} catch (error) {
			refused(error);
		}
	});
}

/** Refused for bad input: remembered like a write's refusal, so a resend is refused again. */
function refuse(connection: Writing, session: WriteSession, seq: number, error: SocketDBError, runtime: ServerRuntime): void {
	session.rememberRefusal(seq, error, runtime.sessions.options.maxRefusals);
	connection.refuse(error, rejection(seq, error));
}

function disconnectWrite(message: Exclude<OnDisconnectMessage, { op: 'cancel' }>): DisconnectWrite {
	const { path } = message;
	if (message.op === 'set') return { path, kind: 'update', data: anchorAtPath(parsePath(path), message.node) };
	if (message.op === 'delete') return { path, kind: 'delete', deleted: path };
	return { path, kind: 'paths', change: pathsOf(message) };
}

/** The change a kept write makes, in the form of `updatePaths` (for the hooks at registration), copied when asked. */
function changeOf(write: DisconnectWrite, copy: boolean): PathsUpdate {
	if (write.kind === 'delete') return { deleted: [write.deleted] };
	if (write.kind === 'update') return { data: copy ? cloneNode(write.data) : write.data, deleted: [] };
	const { data, deleted } = write.change;
	return data === undefined ? { deleted: [...deleted] } : { data: copy ? cloneNode(data) : data, deleted: [...deleted] };
}

/** The server says goodbye: on its own shutdown the kept writes are dropped, not applied. */
export function disconnectGoodbye(writes: DisconnectWrites | undefined, goodbye: GoodbyeMessage): void {
	if (writes !== undefined && 'reason' in goodbye && goodbye.reason === 'server-shutdown') writes.discard();
}

/**
 * The connection ended: its kept writes are applied, one after the other in the order they were
 * registered, through the write path (hooks run again, with the disconnected client). They queue
 * behind the client's writes still running, so they follow them. A write refused now is reported
 * to `onError` and skipped; the others still apply.
 */
export function applyDisconnectWrites(connection: DisconnectWriting, writes: DisconnectWrites | undefined, runtime: ServerRuntime): void {
	if (writes === undefined || connection.session === undefined) return;
	// Taken once the registrations received before the end have been decided.
	connection.session.queue.run(async () => {
		for (const write of writes.take()) {
			try {
				await applyOne(write, connection, runtime);
			} catch (thrown) {
				// Hook refusals and store failures were reported where they happened; the rest were not.
				const error = toSocketDBError(thrown, 'INTERNAL_ERROR');
				if (error.code.startsWith('INVALID') || error.code === 'UNAVAILABLE') runtime.report(error, { client: reportedClient(connection.client) });
			}
		}
	});
}

function applyOne(write: DisconnectWrite, connection: DisconnectWriting, runtime: ServerRuntime): void | Promise<unknown> {
	const { writePath } = runtime;
	// Server values (increment, serverTimestamp) are filled in now, when the write fires.
	if (write.kind === 'update') return writePath.update(write.data, connection, undefined, undefined, holdsServerValues(write.data));
	if (write.kind === 'delete') return writePath.delete(write.deleted, connection);
	const change = changeOf(write, false);
	return writePath.updatePaths(change, connection, undefined, undefined, change.data !== undefined && holdsServerValues(change.data));
}
