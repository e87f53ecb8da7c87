import type { LoggedEntry } from '@socketdb/server';
import type { Redis } from 'ioredis';
import { decodeEntry, logId, revisionOf, type StreamEntry } from './entry-codec';

/** Where the log stands: the last revision it handed out, and the first entry it still holds. */
export type LogEnds = { last: number; first: number | undefined };

/**
 * The log's ends, from the stream's own record (one command): its last id is the last revision
 * handed out, even when the entries were trimmed away since.
 *
 * @throws Error when the stream was written by an earlier version (time-based ids): this version
 * can neither read nor extend it.
 */
export async function logEnds(redis: Redis, log: string): Promise<LogEnds> {
	let info: unknown[];
	try {
		info = (await redis.xinfo('STREAM', log)) as unknown[];
	} catch (error) {
		if (/no such key/i.test((error as Error).message)) return { last: 0, first: undefined };
		throw error;
	}
	const field = (name: string) => info[info.indexOf(name) + 1];
	const lastId = String(field('last-generated-id'));
	const last = revisionOf(lastId);
	if (Number.isNaN(last)) {
		throw new Error(`the cluster's log (${log}) was written by an earlier version (its ids are times, ${lastId}); this version numbers entries by revision and cannot follow it: start the cluster under another name`);
	}
	const first = field('first-entry') as StreamEntry | null;
	return { last, first: first === null ? undefined : revisionOf(first[0]) };
}

/**
 * Moves the log's last revision up to at least `revision` (creating the stream if Redis lost it),
 * and puts back the database id if it is gone; returns the database id Redis holds. Atomic, so a
 * process appending meanwhile gets a revision after it.
 */
const RAISE_SCRIPT = `
local target = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then
	if target > 0 then redis.call('XADD', KEYS[1], 'MAXLEN', '0', '0-' .. target, 'v', '0') end
else
	local info = redis.call('XINFO', 'STREAM', KEYS[1])
	local last = 0
	for i = 1, #info, 2 do
		if info[i] == 'last-generated-id' then last = tonumber(string.sub(info[i + 1], 3)) or 0 end
	end
	if last < target then redis.call('XSETID', KEYS[1], '0-' .. target) end
end
local database = redis.call('GET', KEYS[2])
if not database then redis.call('SET', KEYS[2], ARGV[2]) return ARGV[2] end
return database
`;

type RedisWithRaise = Redis & { socketdbRaise(log: string, database: string, revision: number, id: string): Promise<string> };

export async function raiseLog(redis: Redis, keys: { log: string; database: string }, revision: number, database: string): Promise<string> {
	if (!('socketdbRaise' in redis)) redis.defineCommand('socketdbRaise', { numberOfKeys: 2, lua: RAISE_SCRIPT });
	return (redis as RedisWithRaise).socketdbRaise(keys.log, keys.database, revision, database);
}

/** Entries read per command when scanning back. */
const SCAN_BATCH = 500;

/**
 * The entries at or below revision `to`, newest first, back to the first one logged before
 * `since` (ms since the epoch, by the entries' own times): the recent end of the log.
 */
export async function* recentEntries(redis: Redis, log: string, to: number, since: number): AsyncGenerator<LoggedEntry> {
	let end = logId(to);
	for (;;) {
		const batch = (await redis.xrevrange(log, end, '-', 'COUNT', SCAN_BATCH)) as StreamEntry[];
		for (const raw of batch) {
			const entry = decodeEntry(raw);
			if (entry.time < since) return;
			yield entry;
		}
		if (batch.length < SCAN_BATCH) return;
		end = `(${batch[batch.length - 1]![0]}`;
	}
}
