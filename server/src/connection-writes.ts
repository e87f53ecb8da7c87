import { anchorAtPath, joinPath, MessageType, segmentsOf, SocketDBError, toSocketDBError, writtenPaths, type OnDisconnectMessage, type ServerMessage, type UpdateMessage } from '@socketdb/core';
import type { HookSubject } from './call-hook';
import { rejection } from './connection-sender';
import type { Subscriber } from './fanout';
import { RateLimiter } from './limits';
import { checkWrite, type WriteMessage } from './request-checks';
import type { ServerRuntime } from './runtime';
import type { SmallSet } from './small-set';
import type { Committed } from './write-path';
import type { WriteSession } from './write-sessions';


/** A connection as its writes see it. */
export interface Writing extends HookSubject, Subscriber {
	readonly state: string;
	/** The paths it holds value subscriptions to. */
	readonly valuePaths: SmallSet;
	/** Its write session, attached at its first write (or at the handshake when it resumes one). */
	session: WriteSession | undefined;
	/** The session id it said hello with. */
	readonly sessionId: string | undefined;
	readonly extras: { rateLimiter: RateLimiter | undefined };
	send(message: ServerMessage): void;
	/** `rev`: the revision the data holds the write as of; `committed`: what a transaction committed. */
	acknowledge(seq: number, rev: number, committed?: Committed): void;
	reject(seq: number, error: SocketDBError): void;
	refuse(error: SocketDBError, answer?: ServerMessage): void;
}

/**
 * A client's write: checked, then applied once in the client's order and answered (ACK or
 * REJECT). A write the session already received gets that write's answer instead.
 */
export function handleWrite(connection: Writing, message: WriteMessage, runtime: ServerRuntime): void {
	const session = (connection.session ??= runtime.sessions.attach(connection.sessionId!, connection, 0));
	const { seq } = message;
	if (seq <= session.lastSeq && !session.takeRetry(seq)) return answerResend(connection, session, message, runtime);
	const { limits } = runtime;
	let serverValues: boolean;
	try {
		serverValues = checkWrite(message, limits);
		if (!(connection.extras.rateLimiter ??= new RateLimiter(limits.writesPerSecond, limits.writeBurst)).take()) throw new SocketDBError('RATE_LIMITED', `writes are limited to ${limits.writesPerSecond} per second`);
	} catch (thrown) {
		// Remembered like any refusal, so a resend after a lost answer is refused again, not acknowledged.
		const error = toSocketDBError(thrown, 'INVALID_MESSAGE');
		session.lastSeq = Math.max(session.lastSeq, seq);
		session.rememberRefusal(seq, error, runtime.sessions.options.maxRefusals);
		return connection.refuse(error, rejection(seq, error));
	}
	session.lastSeq = Math.max(session.lastSeq, seq);
	session.started(seq);
	session.queue.run(() => {
		if (message.type !== MessageType.TRANSACTION) return runWrite(connection, message, runtime, session, serverValues);
		// Transactions on one path take turns (see TransactionTurns); the client's later writes wait with it.
		const turn = runtime.turns.take(message.path, session.id);
		if (turn === undefined) return runWrite(connection, message, runtime, session, serverValues);
		return turn.then(() => runWrite(connection, message, runtime, session, serverValues));
	});
}

/** Applies a checked write in its session's turn, and answers it. */
function runWrite(connection: Writing, message: WriteMessage, runtime: ServerRuntime, session: WriteSession, serverValues: boolean): void | Promise<void> {
	const { seq } = message;
	const { writePath } = runtime;
	let committed: Committed | undefined;
	const settle = (error?: SocketDBError) => {
		if (message.type === MessageType.TRANSACTION) runtime.turns.done(message.path, session.id, error?.code === 'CONFLICT');
		settleWrite(session, message, error, runtime, committed);
	};
	{
		if (session.retryPendingBefore(seq)) return settle(new SocketDBError('UNAVAILABLE', 'an earlier write of this client could not be logged yet; this one is sent again after it'));
		// With a shared log, the write has an origin, and another process may have decided it already.
		const origin = runtime.log === undefined ? undefined : { session: session.id, seq };
		const decision = origin === undefined ? undefined : runtime.log!.decisionOf(origin);
		if (decision !== undefined) return settle(decision === 'applied' ? undefined : decision);
		try {
			// With a shared log, the client's next write goes once this one is in line for the log (which
			// keeps their order), so that its writes share appends; reads still wait for them (`whenSettled`).
			let release: (() => void) | undefined;
			const queued = origin === undefined ? undefined : new Promise<void>((resolve) => (release = resolve));
			let applied: void | Promise<unknown> = undefined;
			if (message.type === MessageType.SET) applied = writePath.update(anchorAtPath(segmentsOf(message.path), message.node), connection, origin, release, serverValues);
			else if (message.type === MessageType.DELETE) applied = writePath.delete(message.path, connection, origin, release);
			else if (message.type === MessageType.UPDATE) applied = writePath.updatePaths(pathsOf(message), connection, origin, release, serverValues);
			else {
				const result = writePath.transaction(message, connection, origin, release, serverValues);
				if (result instanceof Promise) applied = result.then((value) => void (committed = value));
				else committed = result;
			}
			if (applied === undefined) return writePath.afterDurable(settle);
			const done = applied.then(
				() => writePath.afterDurable(settle),
				(error: unknown) => settle(toSocketDBError(error, 'INTERNAL_ERROR')),
			);
			return queued === undefined ? done : Promise.race([queued, done]);
		} catch (error) {
			settle(toSocketDBError(error, 'INTERNAL_ERROR'));
		}
	}
}

/** An UPDATE as the write path takes it: root-anchored, with absolute paths. */
export function pathsOf(message: Pick<UpdateMessage, 'path' | 'node' | 'deleted'>) {
	const deleted = message.deleted.map((relative) => joinPath(message.path, relative));
	return message.node === undefined ? { deleted } : { data: anchorAtPath(segmentsOf(message.path), message.node), deleted };
}

/** A write is done: its answer goes to whichever connection holds the session now. */
export function settleWrite(session: WriteSession, message: AnsweredMessage, error: SocketDBError | undefined, runtime: ServerRuntime, committed?: Committed): void {
	const { seq } = message;
	session.settled(seq);
	if (error?.code === 'UNAVAILABLE') session.allowRetry(seq);
	else if (error !== undefined) session.rememberRefusal(seq, error, runtime.sessions.options.maxRefusals);
	const owner = session.owner as Writing | undefined;
	if (owner === undefined || owner.state !== 'open') return;
	if (error === undefined) acknowledgeWrite(owner, message, runtime, committed);
	else owner.reject(seq, error);
}

/** A write the session already received: answer with its outcome, or wait for it if still running. */
export function answerResend(connection: Writing, session: WriteSession, message: AnsweredMessage, runtime: ServerRuntime): void {
	if (session.isInFlight(message.seq)) return;
	const refusal = session.refusalOf(message.seq);
	if (refusal !== undefined) connection.reject(message.seq, refusal);
	else acknowledgeWrite(connection, message, runtime);
}

/** What is answered like a write: the writes, and onDisconnect registrations. */
type AnsweredMessage = WriteMessage | OnDisconnectMessage;

/**
 * ACK with the latest revision, after telling the connection's value subscriptions the write
 * reaches that they are as of that revision (see `FanOut.confirmCurrent`): a client showing the
 * write ahead of the server keeps it shown until they are.
 */
function acknowledgeWrite(connection: Writing, message: AnsweredMessage, runtime: ServerRuntime, committed?: Committed): void {
	const { fanout } = runtime;
	if (connection.valuePaths !== undefined) for (const [path, node] of writtenPaths(message)) fanout.confirmCurrent(connection, path, node);
	connection.acknowledge(message.seq, fanout.latestRevision, committed);
}
