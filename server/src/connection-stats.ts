import { addConnectionStats, createRecord, encodeMessage, MessageType, type ConnectionStats } from '@socketdb/core';

/** What the counts need to know of a connection. */
export interface Counted {
	readonly version: string | undefined;
	readonly route: string | undefined;
	/** Queues a message for the connection's next frame. */
	enqueue(message: Uint8Array): void;
}

/** How many queries the stats name: those held by the most connections. */
const MAX_QUERIES = 50;
/** The longest query name the stats carry: a bound can be a long string. */
const MAX_NAME = 200;

/**
 * Open connections counted by the version and route their clients reported, live queries
 * counted by query, and the connections watching those counts. Watchers get the counts when they start watching, then
 * after every change, at most once per interval. With several server processes as one
 * database, the counts are the cluster's: this process's plus the others' (`setOthers`), and
 * `onLocalChange` hands this process's own on to the others.
 */
export class ConnectionCounts {
	private total = 0;
	private readonly versions = new Map<string, number>();
	private readonly routes = new Map<string, number>();
	private readonly queries = new Map<string, number>();
	private readonly watchers = new Set<Counted>();
	private timer: ReturnType<typeof setTimeout> | undefined;
	private lastSentAt = -Infinity;
	private others: ConnectionStats | undefined;
	/** Called (at most once per interval) with this process's own counts after they changed. */
	onLocalChange: ((local: ConnectionStats) => void) | undefined;
	private localTimer: ReturnType<typeof setTimeout> | undefined;

	constructor(private readonly interval: number) {}

	/** The other processes' counts, summed. */
	setOthers(stats: ConnectionStats): void {
		this.others = stats;
		this.changed(false);
	}

	/** This process's own counts. */
	local(): ConnectionStats {
		// Versions and routes are the clients' words: the maps have no prototype.
		const local: ConnectionStats = { total: this.total, versions: toRecord(this.versions), routes: toRecord(this.routes) };
		if (this.queries.size > 0) local.queries = toRecord(this.queries, MAX_QUERIES);
		return local;
	}

	/** Counts a connection that finished its handshake. */
	add(connection: Counted): void {
		this.total++;
		bump(this.versions, connection.version ?? 'unknown', 1);
		if (connection.route !== undefined) bump(this.routes, connection.route, 1);
		this.changed();
	}

	/** Forgets a connection that `add` counted, with the version and route it has now. */
	remove(connection: Counted): void {
		this.watchers.delete(connection);
		this.total--;
		bump(this.versions, connection.version ?? 'unknown', -1);
		if (connection.route !== undefined) bump(this.routes, connection.route, -1);
		this.changed();
	}

	/** Call before a counted connection's route changes from `from` to `to`. */
	moveRoute(from: string | undefined, to: string): void {
		if (from === to) return;
		if (from !== undefined) bump(this.routes, from, -1);
		bump(this.routes, to, 1);
		this.changed();
	}

	/** A connection started (`by` 1) or stopped (`by` -1) a live query, named by `describeQuery` (cut to 200 characters). */
	countQuery(name: string, by: 1 | -1): void {
		bump(this.queries, name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name, by);
		this.changed();
	}

	/** The counts: this process's, and the other processes' too when there are others. */
	snapshot(): ConnectionStats {
		const local = this.local();
		const others = this.others;
		if (others === undefined) return local;
		addConnectionStats(local, others);
		// The cluster's queries, cut again to the most held.
		if (local.queries !== undefined) local.queries = toRecord(new Map(Object.entries(local.queries)), MAX_QUERIES);
		return local;
	}

	watch(connection: Counted): void {
		this.watchers.add(connection);
		connection.enqueue(encodeMessage({ type: MessageType.STATS, stats: this.snapshot() }));
	}

	unwatch(connection: Counted): void {
		this.watchers.delete(connection);
	}

	stop(): void {
		clearTimeout(this.timer);
		clearTimeout(this.localTimer);
		this.timer = undefined;
		this.localTimer = undefined;
		this.watchers.clear();
	}

	private changed(local = true): void {
		if (local && this.onLocalChange !== undefined && this.localTimer === undefined) {
			this.localTimer = setTimeout(() => {
				this.localTimer = undefined;
				this.onLocalChange?.(this.local());
			}, this.interval);
			this.localTimer.unref?.();
		}
		if (this.watchers.size === 0 || this.timer !== undefined) return;
		const wait = Math.max(0, this.lastSentAt + this.interval - performance.now());
		this.timer = setTimeout(() => this.send(), wait);
		this.timer.unref?.();
	}

	private send(): void {
		this.timer = undefined;
		this.lastSentAt = performance.now();
		const message = encodeMessage({ type: MessageType.STATS, stats: this.snapshot() });
		for (const watcher of this.watchers) watcher.enqueue(message);
	}
}

function bump(counts: Map<string, number>, key: string, by: number): void {
	const count = (counts.get(key) ?? 0) + by;
	if (count > 0) counts.set(key, count);
	else counts.delete(key);
}

/** The counts as a record without a prototype; with `max`, only the `max` largest, largest first. */
function toRecord(counts: Map<string, number>, max?: number): Record<string, number> {
	const record = createRecord<number>();
	const entries = max === undefined ? counts : [...counts].sort((a, b) => b[1] - a[1]).slice(0, max);
	for (const [key, count] of entries) record[key] = count;
	return record;
}
