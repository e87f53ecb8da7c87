import { addConnectionStats, createRecord, type ConnectionStats } from '@socketdb/core';
import type { Redis } from 'ioredis';
import type { ClusterKeys } from './keys';

/** How often a process republishes its counts (so the others know it is alive) and reads theirs (ms). */
const PUBLISH_EVERY_MS = 1_000;
/** Counts not renewed for this long belong to a process that died: left out (ms). */
const STALE_MS = 5_000;

type Published = ConnectionStats & { at: number };

/**
 * The cluster's connection counts: each process keeps its own in a hash field of the cluster's
 * stats key, renewed every second, and reads the others'; counts of a process that stopped
 * renewing them are left out, so a process killed without goodbye drops out within seconds.
 */
export class ClusterStats {
	private local: ConnectionStats = { total: 0, versions: {}, routes: {} };
	private timer: ReturnType<typeof setInterval> | undefined;
	private lastOthers = '';
	/** True while reading fails: reported once, not every second. */
	private failing = false;

	constructor(
		private readonly redis: Redis,
		private readonly keys: ClusterKeys,
		private readonly processId: string,
		private readonly othersChanged: (stats: ConnectionStats) => void,
		private readonly report: (error: Error) => void,
	) {}

	start(): void {
		this.timer = setInterval(() => void this.tick(), PUBLISH_EVERY_MS);
		this.timer.unref();
		void this.tick();
	}

	publish(stats: ConnectionStats): void {
		this.local = stats;
		void this.write();
	}

	async stop(): Promise<void> {
		clearInterval(this.timer);
		await this.redis.hdel(this.keys.stats, this.processId).catch(() => undefined);
	}

	private async write(): Promise<void> {
		const published: Published = { ...this.local, at: Date.now() };
		await this.redis.hset(this.keys.stats, this.processId, JSON.stringify(published)).catch(() => undefined);
	}

	private async tick(): Promise<void> {
		try {
			await this.write();
			const all = await this.redis.hgetall(this.keys.stats);
			const now = Date.now();
			// Versions and routes are the clients' words: the maps have no prototype.
			const sum: ConnectionStats = { total: 0, versions: createRecord<number>(), routes: createRecord<number>() };
			for (const [id, text] of Object.entries(all)) {
				if (id === this.processId) continue;
				const stats = JSON.parse(text) as Published;
				if (now - stats.at > STALE_MS) {
					if (now - stats.at > 12 * STALE_MS) await this.redis.hdel(this.keys.stats, id);
					continue;
				}
				addConnectionStats(sum, stats);
			}
			this.failing = false;
			const text = JSON.stringify(sum);
			if (text !== this.lastOthers) {
				this.lastOthers = text;
				this.othersChanged(sum);
			}
		} catch (error) {
			if (this.failing) return;
			this.failing = true;
			this.report(new Error(`reading the cluster's connection counts failed: ${(error as Error).message}`, { cause: error }));
		}
	}
}
