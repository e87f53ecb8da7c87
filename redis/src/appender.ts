import { SocketDBError } from '@socketdb/core';
import type { LogEntry } from '@socketdb/server';
import type { Redis } from 'ioredis';
import { ENTRY_FORMAT, encodeEntry, encodePublication, revisionOf } from './entry-codec';
import type { ClusterKeys } from './keys';

/** How long a failed append waits before it is tried again. */
const RETRY_MS = 100;

type Batch = { entries: string[]; deadline: number; resolve: (revisions: number[]) => void; reject: (error: SocketDBError) => void };

/**
 * Puts entries into the log in the order they were given: one batch at a time (the entries that
 * arrive meanwhile form the next batch). Each entry is one `XADD` whose id Redis numbers on from
 * the last (`0-*`), so the id is the entry's revision; the batch's entries go out together, and
 * once their ids are known they are published (one `PUBLISH` a batch): every process, this one
 * too, applies them as they come, without asking; two commands a write, fewer in a busy process.
 * (This process takes its own entries from the publication as well, not from the reply: learning
 * of its writers' outcomes before the others do would let its writers win every race for a
 * value, and starve the transactions of the others.)
 * A batch that cannot be appended is tried again until `unavailableAfterMs` has passed since its
 * first entry came, then refused with `UNAVAILABLE`. A batch may have reached the log although
 * its reply was lost; it is tried again all the same, and the entries' origins make the processes
 * apply it once. An id at or below the revision the process applied means Redis lost the end of
 * the log: the process mends the log first, then appends again.
 */
export class LogAppender {
	private readonly queue: Batch[] = [];
	private busy = false;
	private stopped = false;

	constructor(
		private readonly redis: Redis,
		private readonly keys: ClusterKeys,
		private readonly unavailableAfterMs: number,
		/** The revision the process applied. */
		private readonly applied: () => number,
		/** Mends the log when it lost entries the process applied. */
		private readonly mend: () => Promise<void>,
	) {}

	/** Resolves with the entries' revisions once they are logged. */
	append(entries: readonly LogEntry[]): Promise<number[]> {
		if (this.stopped) return Promise.reject(new SocketDBError('UNAVAILABLE', 'the server is shutting down'));
		return new Promise<number[]>((resolve, reject) => {
			this.queue.push({ entries: entries.map(encodeEntry), deadline: Date.now() + this.unavailableAfterMs, resolve, reject });
			if (!this.busy) void this.drain();
		});
	}

	stop(): void {
		this.stopped = true;
		for (const batch of this.queue.splice(0)) batch.reject(new SocketDBError('UNAVAILABLE', 'the server is shutting down'));
	}

	private async drain(): Promise<void> {
		this.busy = true;
		while (this.queue.length > 0 && !this.stopped) {
			// Everything queued goes out in one call.
			const batches = this.queue.splice(0);
			const entries = batches.flatMap((batch) => batch.entries);
			const deadline = Math.min(...batches.map((batch) => batch.deadline));
			for (;;) {
				try {
					const revisions = await this.add(entries);
					let start = 0;
					for (const batch of batches) batch.resolve(revisions.slice(start, (start += batch.entries.length)));
					break;
				} catch (error) {
					if (error instanceof LogBehind && !this.stopped) {
						await this.mend().catch(() => undefined);
						continue;
					}
					if (this.stopped || Date.now() + RETRY_MS > deadline) {
						const failure = new SocketDBError('UNAVAILABLE', `the change could not be logged in time: ${(error as Error).message}`);
						// The batches queued meanwhile fail too: appended after a failed one, they would overtake it.
						for (const batch of [...batches, ...this.queue.splice(0)]) batch.reject(failure);
						break;
					}
					await new Promise((resume) => setTimeout(resume, RETRY_MS));
				}
			}
		}
		this.busy = false;
	}

	/** Appends the entries and publishes them; their revisions. */
	private async add(entries: readonly string[]): Promise<number[]> {
		const applied = this.applied();
		const time = Date.now();
		const adding = this.redis.pipeline();
		for (const entry of entries) adding.xadd(this.keys.log, '0-*', 'v', ENTRY_FORMAT, 't', time, 'e', entry);
		const replies = (await adding.exec()) ?? [];
		const failed = replies.find(([error]) => error !== null);
		if (failed !== undefined || replies.length !== entries.length) throw failed?.[0] ?? new Error('the append got no reply');
		const ids = replies.map(([, id]) => String(id));
		if (revisionOf(ids[0]!) <= applied) throw new LogBehind();
		// Not waited for: the entries are logged; a process that misses the publication reads the stream.
		this.redis.publish(this.keys.changes, encodePublication(time, ids.map((id, i) => [id, entries[i]!]))).catch(() => undefined);
		return ids.map(revisionOf);
	}
}

/** The log handed out a revision this process applied already: Redis lost the end of the log. */
class LogBehind extends Error {}
