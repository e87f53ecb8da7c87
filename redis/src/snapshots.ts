import type { LogPosition } from '@socketdb/core';
import type { DecidedSessions, ReplicaNode, ReplicaSnapshot } from '@socketdb/server';
import type { Redis } from 'ioredis';
import { logId } from './entry-codec';
import type { ClusterKeys } from './keys';

/** Snapshots are stored in chunks of this many characters of JSON. */
const CHUNK = 1024 * 1024;
/** How long a process may hold the right to write the snapshot (ms); it lets go when done. */
const LOCK_MS = 60_000;

/** What a snapshot's chunks hold, joined: the tree and the decided write sessions. */
type Stored = { root: ReplicaSnapshot['root']; sessions: DecidedSessions };

/** The cluster's snapshot, if one was written. */
export async function readSnapshot(redis: Redis, keys: ClusterKeys): Promise<ReplicaSnapshot | undefined> {
	const meta = await redis.hgetall(keys.snapshot);
	if (meta['revision'] === undefined) return undefined;
	const revision = Number(meta['revision']);
	const chunks = await redis.lrange(keys.snapshotChunks(revision), 0, -1);
	if (chunks.length !== Number(meta['chunks'])) return undefined;
	const position: LogPosition = { revision, log: meta['log'] ?? '0-0' };
	if (meta['database'] !== undefined) position.database = meta['database'];
	const stored = JSON.parse(chunks.join('')) as Stored;
	return { root: stored.root, position, sessions: stored.sessions };
}

/**
 * Writes a snapshot of the node's data, unless another process is writing one, and trims the
 * log: entries up to `retain` before the snapshot stay (for processes a little behind), older
 * ones go, since a process that far behind loads the snapshot instead. Returns the snapshot's
 * revision (or that of the newer snapshot already there), or undefined when another process
 * held the lock.
 */
export async function writeSnapshot(redis: Redis, keys: ClusterKeys, node: ReplicaNode, owner: string, retain: number): Promise<number | undefined> {
	if ((await redis.set(keys.snapshotLock, owner, 'PX', LOCK_MS, 'NX')) !== 'OK') return undefined;
	try {
		// Taken and encoded in one step, so the data and its position agree.
		const { root, position, sessions = [] } = node.snapshot();
		const text = JSON.stringify({ root, sessions } satisfies Stored);
		const chunks: string[] = [];
		for (let start = 0; start < text.length; start += CHUNK) chunks.push(text.slice(start, start + CHUNK));
		if (chunks.length === 0) chunks.push('');
		const previous = await redis.hget(keys.snapshot, 'revision');
		// A newer snapshot stays (a process that was behind never replaces it).
		if (previous !== null && Number(previous) >= position.revision) return Number(previous);
		const listKey = keys.snapshotChunks(position.revision);
		const write = redis.multi().del(listKey).rpush(listKey, ...chunks);
		const meta: Record<string, string> = { revision: String(position.revision), log: position.log ?? '0-0', chunks: String(chunks.length) };
		if (position.database !== undefined) meta['database'] = position.database;
		write.hset(keys.snapshot, meta);
		if (previous !== null && Number(previous) !== position.revision) write.del(keys.snapshotChunks(Number(previous)));
		await write.exec();
		// The entries up to `retain` before the snapshot stay.
		if (position.revision > retain) await redis.xtrim(keys.log, 'MINID', logId(position.revision - retain));
		return position.revision;
	} finally {
		// Only our own lock is released.
		await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, keys.snapshotLock, owner);
	}
}
