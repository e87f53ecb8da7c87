import { addConnectionStats, createRecord, isObject, type ConnectionStats } from '@socketdb/core';
import type { Redis } from 'ioredis';
import type { ClusterKeys } from './keys';

/** How often a process publishes its counts although they did not change, so the others know it is alive (ms). */
const ALIVE_EVERY_MS = 5_000;
/** The counts of a process not heard from for this long are left out: it died without a goodbye (ms). */
const STALE_MS = 3 * ALIVE_EVERY_MS;
/** Changed counts go out at most this often (ms), so a burst of connections costs a few publications, not one each. */
const CHANGES_EVERY_MS = 250;

/** What a process publishes on the stats channel. */
type Message = { id: string; stats?: ConnectionStats; hello?: true; gone?: true };

/**
 * The cluster's connection counts: each process publishes its own when they change (at most every
 * `CHANGES_EVERY_MS`), every few seconds while alive, and a goodbye when it stops; each keeps the
 * others' last counts and sums them. A process that starts says hello, and the others answer with
 * their counts at once. A process killed without goodbye drops out once it has been silent for
 * `STALE_MS`. Nothing is stored in Redis: a publication a process is not subscribed for is gone,
 * and the next one (at most `ALIVE_EVERY_MS` later) brings the counts back.
 */
export class ClusterStats {
	private local: ConnectionStats = { total: 0, versions: {}, routes: {} };
	private readonly others = new Map<string, { stats: ConnectionStats; at: number }>();
	private timer: ReturnType<typeof setInterval> | undefined;
	private changeTimer: ReturnType<typeof setTimeout> | undefined;
	/** When this process last published its counts (ms). */
	private sentAt = 0;
	private lastSum = '';
	/** True while publishing fails: reported once, not every time. */
	private failing = false;

	constructor(
		private readonly redis: Redis,
		private readonly keys: ClusterKeys,
		private readonly processId: string,
		private readonly othersChanged: (stats: ConnectionStats) => void,
		private readonly report: (error: Error) => void,
	) {}

	start(): void {
		this.timer = setInterval(() => {
			this.dropSilent();
			this.send({ id: this.processId, stats: this.local });
		}, ALIVE_EVERY_MS);
		this.timer.unref();
		this.hello();
	}

	/** Publishes this process's counts and asks the others for theirs (at start, and after missing publications). */
	hello(): void {
		this.send({ id: this.processId, stats: this.local, hello: true });
	}

	publish(stats: ConnectionStats): void {
		this.local = stats;
		if (this.changeTimer !== undefined) return;
		const wait = Math.max(0, this.sentAt + CHANGES_EVERY_MS - Date.now());
		this.changeTimer = setTimeout(() => {
			this.changeTimer = undefined;
			this.send({ id: this.processId, stats: this.local });
		}, wait);
		this.changeTimer.unref?.();
	}

	/** A message on the stats channel (this process's own included). */
	received(text: string): void {
		let message: Message;
		try {
			message = JSON.parse(text) as Message;
		} catch {
			return;
		}
		if (typeof message?.id !== 'string' || message.id === this.processId) return;
		if (message.gone === true) this.others.delete(message.id);
		else if (isStats(message.stats)) {
			this.others.set(message.id, { stats: message.stats, at: Date.now() });
			// A process that just started learns the others' counts without waiting for their next.
			if (message.hello === true) this.send({ id: this.processId, stats: this.local });
		}
		this.sum();
	}

	async stop(): Promise<void> {
		clearInterval(this.timer);
		clearTimeout(this.changeTimer);
		await this.redis.publish(this.keys.stats, JSON.stringify({ id: this.processId, gone: true } satisfies Message)).catch(() => undefined);
	}

	private send(message: Message): void {
		this.sentAt = Date.now();
		this.redis.publish(this.keys.stats, JSON.stringify(message)).then(
			() => (this.failing = false),
			(error: unknown) => {
				if (this.failing) return;
				this.failing = true;
				this.report(new Error(`publishing this process's connection counts failed: ${(error as Error).message}`, { cause: error }));
			},
		);
	}

	private dropSilent(): void {
		const now = Date.now();
		for (const [id, { at }] of this.others) if (now - at > STALE_MS) this.others.delete(id);
		this.sum();
	}

	private sum(): void {
		// Versions and routes are the clients' words: the maps have no prototype.
		const sum: ConnectionStats = { total: 0, versions: createRecord<number>(), routes: createRecord<number>() };
		for (const { stats } of this.others.values()) addConnectionStats(sum, stats);
		const text = JSON.stringify(sum);
		if (text === this.lastSum) return;
		this.lastSum = text;
		this.othersChanged(sum);
	}
}

/** Counts as `STATS` messages carry them (the same check as the protocol's). */
function isStats(stats: unknown): stats is ConnectionStats {
	return isObject(stats) && typeof stats['total'] === 'number' && isObject(stats['versions']) && isObject(stats['routes']);
}
