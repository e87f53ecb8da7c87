import { createRecord, encodeMessage, MessageType, type ConnectionStats } from '@socketdb/core';

/** What the counts need to know of a connection. */
export interface Counted {
	readonly version: string | undefined;
	readonly route: string | undefined;
	/** Queues a message for the connection's next frame. */
	enqueue(message: Uint8Array): void;
}

/**
 * Open connections counted by the version and route their clients reported, and the
 * connections watching those counts. Watchers get the counts when they start watching, then
 * after every change, at most once per interval.
 */
export class ConnectionCounts {
	private total = 0;
	private readonly versions = new Map<string, number>();
	private readonly routes = new Map<string, number>();
	private readonly watchers = new Set<Counted>();
	private timer: ReturnType<typeof setTimeout> | undefined;
	private lastSentAt = -Infinity;

	constructor(private readonly interval: number) {}

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

	snapshot(): ConnectionStats {
		// Versions and routes are the clients' words: the maps have no prototype.
		return { total: this.total, versions: toRecord(this.versions), routes: toRecord(this.routes) };
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
		this.timer = undefined;
		this.watchers.clear();
	}

	private changed(): void {
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

function toRecord(counts: Map<string, number>): Record<string, number> {
	const record = createRecord<number>();
	for (const [key, count] of counts) record[key] = count;
	return record;
}
