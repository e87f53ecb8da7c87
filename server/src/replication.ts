import type { ConnectionStats, LogPosition, Node, NodeDiff } from '@socketdb/core';
import type { DecidedSessions } from './logged-sessions';

export type { DecidedSessions } from './logged-sessions';

/**
 * Several server processes as one database: they share one ordered log of changes. A process
 * runs a write's hooks, appends the change the hooks decided, and applies the log's entries (its
 * own included) in log order to its store; every process passes through the same states. The
 * log is the database's order; its entries' revisions are the database's revisions.
 *
 * `@socketdb/redis` implements it on a Redis Stream (`redisReplication`).
 */
export interface Replication {
	/**
	 * Connects to the log and brings `node` up to date: it tells the node the database's id,
	 * loads a snapshot where the log no longer reaches back to the node's position, and applies
	 * the entries after it. Resolves once the node has caught up; from then on it keeps applying
	 * entries as they are logged, until `stop()`. Rejects with a clear error when the log cannot
	 * be reached or holds another database than the node's store.
	 */
	start(node: ReplicaNode): Promise<void>;
	/**
	 * Appends entries to the log, in the order given (and in the order of earlier calls).
	 * Resolves once they are logged; the node applies them when it reads them back. Rejects with
	 * a `SocketDBError` `UNAVAILABLE` when the log could not be reached in time; an entry whose
	 * append failed that way may still be logged later (entries carry their origin, so the node
	 * applies a write at most once).
	 */
	append(entries: readonly LogEntry[]): Promise<void>;
	/** This process's connection counts, for the cluster's; sent on when they change. */
	publishStats(stats: ConnectionStats): void;
	/** Stops reading and appending, and closes the connections to the log. */
	stop(): Promise<void>;
}

/** Who made a change, and which of their writes it is: each origin is applied at most once. */
export type Origin = { session: string; seq: number };

/** A change as it goes into the log: what the hooks decided, or that they refused the write. */
export type LogEntry =
	| { origin: Origin; kind: 'update'; data: NodeDiff }
	| { origin: Origin; kind: 'delete'; path: string }
	| ({ origin: Origin; kind: 'paths' } & PathsUpdate)
	| { origin: Origin; kind: 'refusal'; code: string; message: string };

/**
 * Several paths written as one change (`ref.update`): the deletes, then the merge of `data`
 * (root-anchored). With `expect` (a transaction), only while `expect.path` holds `expect.value`
 * (plain, `null` when absent) when it is applied; otherwise it changes nothing.
 */
export type PathsUpdate = { data?: NodeDiff; deleted: readonly string[]; expect?: { path: string; value: unknown } };

/** An entry as read back from the log: with its revision, its position in the log, and when it was logged (ms since the epoch). */
export type LoggedEntry = LogEntry & { revision: number; log: string; time: number };

/**
 * The database at one revision: its data, and which writes of each client session were decided
 * (so a process starting from it still applies each write at most once, and answers the writers
 * whose entries it covers).
 */
export type ReplicaSnapshot = { root: Node; position: LogPosition; sessions?: DecidedSessions };

/** What a replication needs of the server process it serves. */
export interface ReplicaNode {
	/** Where the node's store stands (none: a store that was never part of a database's log). */
	readonly position: LogPosition | undefined;
	/** True when the store holds no data at all. */
	readonly empty: boolean;
	/** The database's id; set once before any entry is applied. Fails if the store holds another database. */
	setDatabase(id: string): void;
	/** Whether the entries this node applied decided the write of `origin` (applied or refused it). */
	hasDecided(origin: Origin): boolean;
	/** Applies a logged entry. Called in log order, each entry once. */
	apply(entry: LoggedEntry): void;
	/** Replaces all data, and the decided write sessions, with a snapshot of the database. */
	load(snapshot: ReplicaSnapshot): void;
	/** The whole tree, where it stands and the decided write sessions, for the cluster's snapshot. */
	snapshot(): ReplicaSnapshot;
	/** The connection counts of the other processes changed: their sum. */
	othersChanged(stats: ConnectionStats): void;
	/** Reports a failure that is not a request's (the server's `onError`). */
	report(error: Error): void;
	/** The log cannot be followed (an entry this version cannot read): the node stops taking writes. */
	fail(error: Error): void;
}
