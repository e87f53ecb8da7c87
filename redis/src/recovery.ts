import type { LogEntry, LoggedEntry, ReplicaNode } from '@socketdb/server';
import type { Redis } from 'ioredis';
import type { ClusterKeys } from './keys';
import { raiseLog, recentEntries } from './log-stream';
import { writeSnapshot } from './snapshots';

/** How long to wait between tries for the snapshot lock (ms). */
const LOCK_RETRY_MS = 100;
/**
 * How far back (by the entries' times, ms) entries logged on a shortened log are looked for: they
 * were logged after Redis came back, moments before a process ahead noticed. Far less than how
 * long the processes remember a session's writes, so an entry older than this that survived is
 * never taken for a new one.
 */
const FORKED_WITHIN_MS = 60_000;

/**
 * Puts back what the log lost when Redis restarted without the end of it (no append-only file,
 * or `appendfsync everysec` and a crash): the log's last revision and the database id go back to
 * at least where this process stands, so no revision is handed out twice from here on; a
 * snapshot of this process's data is written, so the processes further behind load it instead of
 * the lost entries; and the writes logged meanwhile on the shortened log (numbered at or below
 * this process's revision, so it cannot apply them in place; it never decided them) are logged
 * again, after it.
 */
export async function recoverLostTail(redis: Redis, keys: ClusterKeys, node: ReplicaNode, owner: string, retain: number, append: (entries: readonly LogEntry[]) => Promise<void>): Promise<void> {
	const position = node.position;
	if (position === undefined || position.database === undefined) return;
	const database = await raiseLog(redis, keys, position.revision, position.database);
	if (database !== position.database) throw new Error(`Redis now holds another database (${database}) for this cluster than this process's (${position.database})`);
	for (;;) {
		const written = await writeSnapshot(redis, keys, node, owner, retain);
		if (written !== undefined) break;
		await new Promise((resume) => setTimeout(resume, LOCK_RETRY_MS));
	}
	const forked: LogEntry[] = [];
	for await (const entry of recentEntries(redis, keys.log, position.revision, Date.now() - FORKED_WITHIN_MS)) {
		if (!node.hasDecided(entry.origin)) forked.push(withoutPlace(entry));
	}
	// Read newest first; logged again in their order.
	forked.reverse();
	// Not waited for: the append may be queued behind a batch that waits for this mending.
	if (forked.length > 0) append(forked).catch((error: unknown) => node.report(new Error(`logging again the entries logged on the shortened log failed: ${(error as Error).message}`, { cause: error })));
}

/** An entry as it was appended: without the revision and place the log gave it. */
function withoutPlace(entry: LoggedEntry): LogEntry {
	const { revision: _revision, log: _log, time: _time, ...appended } = entry;
	return appended as LogEntry;
}
