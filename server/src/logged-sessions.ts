import { isErrorCode, SocketDBError } from '@socketdb/core';
import type { LoggedEntry, Origin } from './replication';

/** How a logged write ended: applied, or refused with this error. */
export type Decision = 'applied' | SocketDBError;

type Decided = { last: number; refusals: Map<number, SocketDBError> | undefined; at: number };

/** The table as JSON, for the cluster's snapshot: per session, its last decided write, when, and its refusals. */
export type DecidedSessions = [session: string, last: number, at: number, refusals: [seq: number, code: string, message: string][]][];

/**
 * The write sessions as the log tells them: for each client session, the highest write number
 * the log decided and the refusals among them. Every process builds the same table from the same
 * entries, so a client that resends a write to another process gets the answer the first one
 * gave, and a write logged twice (resent before its first entry was read) is applied once.
 * Sessions whose last entry is older than `ttlMs` (by the entries' own times, so every process
 * forgets the same ones) are dropped.
 */
export class LoggedSessions {
	private readonly sessions = new Map<string, Decided>();
	private sweptAt = 0;

	constructor(
		private readonly ttlMs: number,
		private readonly maxRefusals: number,
	) {}

	/** The decision on `origin` if the log has made one. */
	decisionOf(origin: Origin): Decision | undefined {
		const session = this.sessions.get(origin.session);
		if (session === undefined || origin.seq > session.last) return undefined;
		return session.refusals?.get(origin.seq) ?? 'applied';
	}

	/** Records the decision an entry carries; its origin is one not decided yet (see `decisionOf`). */
	record(entry: LoggedEntry): void {
		let session = this.sessions.get(entry.origin.session);
		if (session === undefined) this.sessions.set(entry.origin.session, (session = { last: 0, refusals: undefined, at: 0 }));
		else {
			// Most recently written last, so the sweep meets the oldest first.
			this.sessions.delete(entry.origin.session);
			this.sessions.set(entry.origin.session, session);
		}
		session.last = entry.origin.seq;
		session.at = entry.time;
		if (entry.kind === 'refusal') {
			const refusals = (session.refusals ??= new Map());
			refusals.set(entry.origin.seq, new SocketDBError(isErrorCode(entry.code) ? entry.code : 'VETOED', entry.message));
			if (refusals.size > this.maxRefusals) refusals.delete(refusals.keys().next().value!);
		}
		if (entry.time - this.sweptAt > this.ttlMs / 10) this.sweep(entry.time);
	}

	/** `origin`, just recorded as applied, changed nothing and was refused instead (a transaction's conflict). */
	refuse(origin: Origin, error: SocketDBError): void {
		const session = this.sessions.get(origin.session);
		if (session === undefined || session.last !== origin.seq) return;
		const refusals = (session.refusals ??= new Map());
		refusals.set(origin.seq, error);
		if (refusals.size > this.maxRefusals) refusals.delete(refusals.keys().next().value!);
	}

	/** The table, for a snapshot. */
	toJSON(): DecidedSessions {
		return [...this.sessions].map(([id, session]) => [id, session.last, session.at, [...(session.refusals ?? [])].map(([seq, error]) => [seq, error.code, error.message])]);
	}

	/** Replaces the table with a snapshot's (none: an empty table). */
	replace(sessions: DecidedSessions | undefined): void {
		this.sessions.clear();
		for (const [id, last, at, refusals] of sessions ?? []) {
			const decided: Decided = { last, at, refusals: undefined };
			for (const [seq, code, message] of refusals) (decided.refusals ??= new Map()).set(seq, new SocketDBError(isErrorCode(code) ? code : 'VETOED', message));
			this.sessions.set(id, decided);
		}
	}

	get size(): number {
		return this.sessions.size;
	}

	private sweep(now: number): void {
		this.sweptAt = now;
		for (const [id, session] of this.sessions) {
			if (now - session.at <= this.ttlMs) return;
			this.sessions.delete(id);
		}
	}
}
