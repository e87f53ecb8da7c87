import { SocketDBError } from '@socketdb/core';
import type { LogEntry } from '@socketdb/server';
import type { Redis } from 'ioredis';
import { ENTRY_FORMAT, encodeEntry } from './entry-codec';
import type { ClusterKeys } from './keys';

/**
 * Appends a batch of entries: the batch takes the next revisions (one INCRBY) and each entry goes
 * into the stream (XADD) with its own, atomically, so stream order is revision order; the batch
 * is also published (PUBLISH), so the processes get it without asking. One script call per batch.
 * Refused while the revision counter is behind the revision the appending process applied
 * (Redis restarted without the end of the log): the process mends the log first.
 */
const APPEND_SCRIPT = `
local count = #ARGV - 2
local last = redis.call('INCRBY', KEYS[1], count)
if last - count < tonumber(ARGV[2]) then
	redis.call('DECRBY', KEYS[1], count)
	return redis.error_reply('SOCKETDB_BEHIND the log is behind this process')
end
local ids = {}
local published = {}
for i = 1, count do
	local revision = last - count + i
	ids[i] = redis.call('XADD', KEYS[2], '*', 'r', revision, 'v', ARGV[1], 'e', ARGV[i + 2])
	published[i] = { ids[i], revision, ARGV[1], ARGV[i + 2] }
end
redis.call('PUBLISH', KEYS[3], cjson.encode(published))
return ids
`;

/** How long a failed append waits before it is tried again. */
const RETRY_MS = 100;

type Batch = { entries: string[]; deadline: number; resolve: () => void; reject: (error: SocketDBError) => void };

type RedisWithAppend = Redis & { socketdbAppend(revision: string, log: string, changes: string, format: number, applied: number, ...entries: string[]): Promise<string[]> };

/**
 * Puts entries into the log in the order they were given: one batch at a time (the entries that
 * arrive meanwhile form the next batch, so a busy process needs far fewer than one command per
 * write). A batch that cannot be appended is tried again until `unavailableAfterMs` has passed
 * since its first entry came, then refused with `UNAVAILABLE`. A batch may have reached the log
 * although its reply was lost; it is tried again all the same, and the entries' origins make the
 * processes apply it once.
 */
export class LogAppender {
	private readonly queue: Batch[] = [];
	private busy = false;
	private stopped = false;
	private readonly redis: RedisWithAppend;

	constructor(
		redis: Redis,
		private readonly keys: ClusterKeys,
		private readonly unavailableAfterMs: number,
		/** The revision the process applied. */
		private readonly applied: () => number,
		/** Mends the log when it lost entries the process applied. */
		private readonly mend: () => Promise<void>,
	) {
		redis.defineCommand('socketdbAppend', { numberOfKeys: 3, lua: APPEND_SCRIPT });
		this.redis = redis as RedisWithAppend;
	}

	append(entries: readonly LogEntry[]): Promise<void> {
		if (this.stopped) return Promise.reject(new SocketDBError('UNAVAILABLE', 'the server is shutting down'));
		return new Promise<void>((resolve, reject) => {
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
					await this.redis.socketdbAppend(this.keys.revision, this.keys.log, this.keys.changes, ENTRY_FORMAT, this.applied(), ...entries);
					for (const batch of batches) batch.resolve();
					break;
				} catch (error) {
					if ((error as Error).message.startsWith('SOCKETDB_BEHIND') && !this.stopped) {
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
}
