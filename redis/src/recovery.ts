import type { LogEntry, LoggedEntry, ReplicaNode } from '@socketdb/server';
import type { Redis } from 'ioredis';
import type { ClusterKeys } from './keys';
import { writeSnapshot } from './snapshots';

/**
 * Puts back what the log lost when Redis restarted without the end of it (no append-only file,
 * or `appendfsync everysec` and a crash): the revision counter and the database id go back to
 * at least where this process stands, so nothing is numbered twice; a snapshot of this process's
 * data is written, so the processes further behind load it instead of the lost entries; and
 * entries logged meanwhile on top of the shortened log (numbered at or below this process's
 * revision, so it cannot apply them in place) are logged again, after it.
 */
const RAISE_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
local database = redis.call('GET', KEYS[2])
if not database then redis.call('SET', KEYS[2], ARGV[2]) return ARGV[2] end
return database
`;

/** How long to wait between tries for the snapshot lock (ms). */
const LOCK_RETRY_MS = 100;

type RedisWithRaise = Redis & { socketdbRaise(revision: string, database: string, revisionValue: number, id: string): Promise<string> };

export async function recoverLostTail(
	redis: Redis,
	keys: ClusterKeys,
	node: ReplicaNode,
	owner: string,
	retain: number,
	forked: readonly LoggedEntry[],
	append: (entries: readonly LogEntry[]) => Promise<void>,
): Promise<void> {
	const position = node.position;
	if (position === undefined || position.database === undefined) return;
	if (!('socketdbRaise' in redis)) redis.defineCommand('socketdbRaise', { numberOfKeys: 2, lua: RAISE_SCRIPT });
	const database = await (redis as RedisWithRaise).socketdbRaise(keys.revision, keys.database, position.revision, position.database);
	if (database !== position.database) throw new Error(`Redis now holds another database (${database}) for this cluster than this process's (${position.database})`);
	for (;;) {
		const written = await writeSnapshot(redis, keys, node, owner, retain);
		if (written !== undefined) break;
		await new Promise((resume) => setTimeout(resume, LOCK_RETRY_MS));
	}
	// Not waited for: the append may be queued behind a batch that waits for this mending.
	if (forked.length > 0) append(forked.map(withoutPlace)).catch((error: unknown) => node.report(new Error(`logging again the entries logged on the shortened log failed: ${(error as Error).message}`, { cause: error })));
}

/** An entry as it was appended: without the revision and place the log gave it. */
function withoutPlace(entry: LoggedEntry): LogEntry {
	const { revision: _revision, log: _log, time: _time, ...appended } = entry;
	return appended as LogEntry;
}
