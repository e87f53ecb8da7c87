import { SocketDBError, toSocketDBError, type ConnectionStats, type LogPosition, type Node } from '@socketdb/core';
import type { HookSubject } from './call-hook';
import { LoggedSessions, type Decision } from './logged-sessions';
import type { LogEntry, LoggedEntry, Origin, ReplicaNode, ReplicaSnapshot, Replication } from './replication';
import { SERVER } from './write-path';

/** What the log needs of the server to apply entries. */
export interface LogTarget {
	/** The revision and log position of the store's data. */
	position(): LogPosition | undefined;
	/** True when the store holds no data. */
	empty(): boolean;
	/** Takes the database's id (throws when the store holds another database). */
	setDatabase(id: string): void;
	/**
	 * Applies a logged entry's change, as written by `writer`; throws the store's failure, or
	 * `CONFLICT` for a transaction whose path changed. Returns what a transaction committed.
	 */
	applyLogged(entry: LoggedEntry, writer: HookSubject): unknown;
	/** An entry that changes nothing here (a refusal, or a write logged twice): only the position moves on. */
	skip(entry: LoggedEntry): void;
	/** Replaces the data with a snapshot. */
	load(root: Node, position: LogPosition): void;
	snapshot(): { root: Node; position: LogPosition };
	othersChanged(stats: ConnectionStats): void;
	report(error: Error): void;
	/** The log cannot be followed: stop serving. */
	fail(error: Error): void;
}

type Waiter = { origin: Origin; resolve: (committed: unknown) => void; reject: (error: SocketDBError) => void; writer: HookSubject };

/** How long sessions are remembered after their last logged write (as the process's own write sessions). */
const SESSION_TTL_MS = 5 * 60_000;
/** Most refusals remembered per session. */
const MAX_REFUSALS = 10_000;

/**
 * A server process's side of a shared log: it appends the changes its hooks decided (the
 * entries of one tick in one append), applies the log's entries in order, and answers each of
 * its writers once its entry is applied here. Entries carry their origin (client session and
 * write number), and the table of decided origins makes every write apply at most once, whichever
 * process took it and however often it was logged.
 */
export class ReplicatedLog implements ReplicaNode {
	private readonly waiting = new Map<string, Waiter>();
	private readonly decided = new LoggedSessions(SESSION_TTL_MS, MAX_REFUSALS);
	private queued: LogEntry[] = [];
	private serverSeq = 0;
	/** The origin session of this process's own writes (`server.update`/`delete`). */
	private readonly serverSession = `server:${globalThis.crypto.randomUUID()}`;
	private failure: Error | undefined;

	constructor(
		private readonly replication: Replication,
		private readonly target: LogTarget,
	) {}

	get position(): LogPosition | undefined {
		return this.target.position();
	}

	get empty(): boolean {
		return this.target.empty();
	}

	/** An origin for a write the server makes itself. */
	serverOrigin(): Origin {
		return { session: this.serverSession, seq: ++this.serverSeq };
	}

	/** What the log decided on `origin`, if it did: a resent write gets that answer. */
	decisionOf(origin: Origin): Decision | undefined {
		return this.decided.decisionOf(origin);
	}

	hasDecided(origin: Origin): boolean {
		return this.decided.decisionOf(origin) !== undefined;
	}

	/**
	 * Logs a change; resolves once it is applied here (with what a transaction committed), rejects
	 * with its refusal, `CONFLICT` or `UNAVAILABLE`.
	 */
	submit(entry: LogEntry, writer: HookSubject): Promise<unknown> {
		if (this.failure !== undefined) return Promise.reject(new SocketDBError('INTERNAL_ERROR', `this server stopped following the log: ${this.failure.message}`));
		return new Promise<unknown>((resolve, reject) => {
			this.waiting.set(keyOf(entry.origin), { origin: entry.origin, resolve, reject, writer });
			this.enqueue(entry);
		});
	}

	/** Logs that the hooks refused a client's write, so that every process gives a resend the same answer. */
	refuse(origin: Origin, error: SocketDBError): void {
		if (this.failure === undefined) this.enqueue({ origin, kind: 'refusal', code: error.code, message: error.message });
	}

	setDatabase(id: string): void {
		this.target.setDatabase(id);
	}

	apply(entry: LoggedEntry): void {
		if (this.failure !== undefined) return;
		const current = this.target.position()?.revision ?? 0;
		if (entry.revision <= current) return;
		const key = keyOf(entry.origin);
		const waiter = this.waiting.get(key);
		const earlier = this.decided.decisionOf(entry.origin);
		if (earlier !== undefined) {
			// Logged twice: applied (or refused) the first time.
			this.target.skip(entry);
			return this.settle(key, waiter, earlier);
		}
		this.decided.record(entry);
		if (entry.kind === 'refusal') {
			this.target.skip(entry);
			return this.settle(key, waiter, this.decided.decisionOf(entry.origin)!);
		}
		let committed: unknown;
		try {
			// A change another process took: its hooks see no client here, as for the server's own writes.
			committed = this.target.applyLogged(entry, waiter?.writer ?? SERVER);
		} catch (error) {
			const failure = toSocketDBError(error, 'INTERNAL_ERROR');
			// Every process meets the same conflict at the same entry: a resend gets that answer.
			if (failure.code === 'CONFLICT') this.decided.refuse(entry.origin, failure);
			else if (waiter === undefined) this.target.report(failure);
			return this.settle(key, waiter, failure);
		}
		this.settle(key, waiter, 'applied', committed);
	}

	load(snapshot: ReplicaSnapshot): void {
		this.decided.replace(snapshot.sessions);
		this.target.load(snapshot.root, snapshot.position);
		// Writes of this process whose entries the snapshot covers are answered as it decided them.
		for (const [key, waiter] of this.waiting) {
			const decision = this.decided.decisionOf(waiter.origin);
			if (decision !== undefined) this.settle(key, waiter, decision);
		}
	}

	snapshot(): ReplicaSnapshot {
		return { ...this.target.snapshot(), sessions: this.decided.toJSON() };
	}

	othersChanged(stats: ConnectionStats): void {
		this.target.othersChanged(stats);
	}

	report(error: Error): void {
		this.target.report(error);
	}

	fail(error: Error): void {
		if (this.failure !== undefined) return;
		this.failure = error;
		const failure = new SocketDBError('INTERNAL_ERROR', `this server stopped following the log: ${error.message}`);
		for (const waiter of this.waiting.values()) waiter.reject(failure);
		this.waiting.clear();
		this.target.fail(error);
	}

	private settle(key: string, waiter: Waiter | undefined, decision: Decision, committed?: unknown): void {
		if (waiter === undefined) return;
		this.waiting.delete(key);
		if (decision === 'applied') waiter.resolve(committed);
		else waiter.reject(decision);
	}

	private enqueue(entry: LogEntry): void {
		this.queued.push(entry);
		if (this.queued.length === 1) queueMicrotask(() => this.appendQueued());
	}

	/** The entries of one tick go out in one append, in order. */
	private appendQueued(): void {
		const entries = this.queued;
		this.queued = [];
		this.replication.append(entries).catch((error: unknown) => {
			// Not logged in time: the writers hear `UNAVAILABLE` (a client keeps its write and sends it
			// again). Should the entries be logged after all, they are applied without a waiter.
			const failure = toSocketDBError(error, 'UNAVAILABLE');
			for (const entry of entries) this.settle(keyOf(entry.origin), this.waiting.get(keyOf(entry.origin)), failure);
		});
	}
}

function keyOf(origin: Origin): string {
	return `${origin.seq}\u0000${origin.session}`;
}
