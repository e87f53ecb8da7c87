import { resolve } from 'node:path';
import type { Database, DatabaseOptions, RootDatabase } from 'lmdb';
import { descendantsPrefix, parentKey, rangeEnd } from './lmdb-keys';
import type { Entry } from './lmdb-entries';
import type { ImportProgress } from './lmdb-store';

/** Where an import lands: the node's key, and its ancestors' keys (root excluded), top first. */
export type ImportTarget = { key: string; ancestors: string[] };

/** Why an import cannot go ahead, or why a read-only store cannot open a directory. */
export class LmdbImportError extends Error {
	constructor(
		readonly code: 'IMPORT_IN_PROGRESS' | 'IMPORT_UNFINISHED',
		message: string,
	) {
		super(message);
		this.name = 'LmdbImportError';
	}
}

/**
 * The marker of an import in progress. `staging`: the new entries are being written to the staging
 * database by the process `pid`; nothing visible has changed, and if that process is gone they are
 * thrown away. `clearing` and `moving`: every entry is staged; whoever opens the directory carries
 * the import to its end (first clearing the target's old entries, then moving the staged ones).
 */
type Marker = { state: 'staging'; pid: number } | { state: 'clearing' | 'moving'; target: ImportTarget };

const MARKER_KEY = '#import';
const STAGING_NAME = '#import-staging';
/**
 * Entries per transaction. LMDB has one writer across processes, so a running server's commits
 * wait for the transaction in progress: a few thousand small entries take a few milliseconds.
 */
const STEP = 4000;

/** Directories this process is staging an import into (their marker holds our own pid). */
const stagingHere = new Set<string>();

export type Importer = {
	/** Carries an interrupted landing to its end and throws away a dead process's staging. */
	recover: () => void;
	/** Whether an import has started landing and not finished: the tree is part old, part new. */
	landing: () => boolean;
	/**
	 * Replaces the node at `target` with `entries` (its keys and everything below, in any order).
	 * Every transaction is bounded; a crash at any point leaves the old or the new data once the
	 * directory is opened again.
	 */
	replace: (target: ImportTarget, entries: [string, Entry][], onProgress?: (progress: ImportProgress) => void) => Promise<void>;
};

/**
 * Imports into an LMDB environment in bounded transactions: the entries are staged in a separate
 * database, then, behind a marker, the target's old entries are removed and the staged ones moved
 * into place, a few thousand per transaction.
 */
export function createImporter(db: RootDatabase<unknown, string>, path: string, encoder: object): Importer {
	const directory = resolve(path);
	let stagingDb: Database<Entry, string> | undefined;
	/** The staging database, opened (and made) on first use; never inside a transaction. */
	const openStaging = () => (stagingDb ??= db.openDB<Entry, string>({ name: STAGING_NAME, encoding: 'msgpack', encoder } as DatabaseOptions & { name: string }));
	const staging = () => stagingDb!;
	const marker = () => db.get(MARKER_KEY) as Marker | undefined;
	const isOurs = (found: Marker | undefined) => found?.state === 'staging' && found.pid === process.pid && stagingHere.has(directory);

	/**
	 * One bounded step towards the end of the import the marker describes, inside a write
	 * transaction: the number of entries it handled, or `undefined` when there is nothing to do
	 * (no import, or one that a live process is still staging).
	 */
	function advance(): number | undefined {
		const found = marker();
		if (found === undefined) return undefined;
		if (found.state === 'staging') return isStaging(found.pid) ? undefined : discardStep();
		if (found.state === 'clearing') return clearStep(found.target);
		return moveStep();
	}

	function isStaging(pid: number): boolean {
		if (pid === process.pid) return stagingHere.has(directory);
		try {
			process.kill(pid, 0);
			return true;
		} catch (error) {
			return (error as NodeJS.ErrnoException).code === 'EPERM';
		}
	}

	/** Removes staged entries; the last step removes the marker too. */
	function discardStep(): number {
		const keys = [...staging().getKeys({ limit: STEP })];
		for (const key of keys) staging().remove(key);
		if (keys.length < STEP) db.remove(MARKER_KEY);
		return keys.length;
	}

	/** Removes the target's old entries; the last step makes its ancestors objects and starts moving. */
	function clearStep(target: ImportTarget): number {
		const prefix = descendantsPrefix(target.key);
		const keys = [...db.getKeys({ start: prefix, end: rangeEnd(prefix), limit: STEP })];
		for (const key of keys) db.remove(key);
		if (keys.length === STEP) return keys.length;
		if (target.key !== '/') db.remove(target.key);
		for (const ancestor of target.ancestors) {
			const entry = db.get(ancestor) as Entry | undefined;
			if (entry === undefined || 'v' in entry) db.put(ancestor, entry?.m === undefined ? {} : { m: entry.m });
		}
		db.put(MARKER_KEY, { state: 'moving', target } satisfies Marker);
		return keys.length;
	}

	/**
	 * Moves staged entries into place, parents before children (key order). A server writing to the
	 * target meanwhile may have deleted a parent or made it a leaf: the entries below it are then
	 * dropped, so the tree never holds a child under a leaf. One range read finds what the main
	 * database already holds between this step's first and last key.
	 */
	function moveStep(): number {
		const entries = [...staging().getRange({ limit: STEP })];
		if (entries.length === 0) {
			db.remove(MARKER_KEY);
			return 0;
		}
		/** Whether a key holds an object node (false: a leaf or nothing), as far as this step knows. */
		const isObjectAt = new Map<string, boolean>();
		for (const { key, value } of db.getRange({ start: entries[0]!.key, end: entries[entries.length - 1]!.key, inclusiveEnd: true })) {
			isObjectAt.set(key, !('v' in (value as Entry)));
		}
		const parentIsObject = (key: string) => {
			if (key === '/') return true;
			const parent = parentKey(key);
			if (parent === '/') return true;
			let found = isObjectAt.get(parent);
			if (found === undefined) {
				const entry = db.get(parent) as Entry | undefined;
				isObjectAt.set(parent, (found = entry !== undefined && !('v' in entry)));
			}
			return found;
		};
		for (const { key, value } of entries) {
			staging().remove(key);
			if (!parentIsObject(key)) {
				isObjectAt.set(key, false);
				continue;
			}
			const isObject = !('v' in value);
			if (!isObject && isObjectAt.get(key) === true) removeBelow(key);
			isObjectAt.set(key, isObject);
			db.put(key, value);
		}
		if (entries.length < STEP) db.remove(MARKER_KEY);
		return entries.length;
	}

	function removeBelow(key: string): void {
		const prefix = descendantsPrefix(key);
		for (const below of [...db.getKeys({ start: prefix, end: rangeEnd(prefix) })]) db.remove(below);
	}

	function recover(): void {
		if (marker() === undefined) return;
		openStaging();
		while (db.transactionSync(advance) !== undefined);
	}

	function landing(): boolean {
		const state = marker()?.state;
		return state === 'clearing' || state === 'moving';
	}

	/** Steps until nothing is left to do, each in its own awaited transaction. */
	async function settle(onStep?: (handled: number) => void): Promise<void> {
		for (;;) {
			const handled = await db.transaction(advance);
			if (handled === undefined) return;
			onStep?.(handled);
		}
	}

	async function replace(target: ImportTarget, entries: [string, Entry][], onProgress?: (progress: ImportProgress) => void): Promise<void> {
		openStaging();
		await settle();
		const holder = await db.transaction(() => {
			const found = marker();
			if (found !== undefined) return found;
			db.put(MARKER_KEY, { state: 'staging', pid: process.pid } satisfies Marker);
			stagingHere.add(directory);
			return undefined;
		});
		if (holder !== undefined) {
			throw new LmdbImportError('IMPORT_IN_PROGRESS', `another import into ${directory} is in progress${holder.state === 'staging' ? ` (pid ${holder.pid})` : ''}`);
		}
		const stillOurs = () => {
			if (!isOurs(marker())) throw new LmdbImportError('IMPORT_IN_PROGRESS', `the import into ${directory} was taken over by another process`);
		};
		try {
			for (let start = 0; start < entries.length; start += STEP) {
				const end = Math.min(start + STEP, entries.length);
				await db.transaction(() => {
					stillOurs();
					for (let index = start; index < end; index++) staging().put(...entries[index]!);
				});
				onProgress?.({ phase: 'staging', done: end, total: entries.length });
			}
			await db.transaction(() => {
				stillOurs();
				db.put(MARKER_KEY, { state: 'clearing', target } satisfies Marker);
			});
		} catch (error) {
			// Throw away what was staged; the data in place was never touched.
			while (await db.transaction(() => isOurs(marker()) && discardStep() === STEP));
			throw error;
		} finally {
			stagingHere.delete(directory);
		}
		const prefix = descendantsPrefix(target.key);
		const total = db.getKeysCount({ start: prefix, end: rangeEnd(prefix) }) + entries.length;
		let done = 0;
		await settle((handled) => {
			done += handled;
			onProgress?.({ phase: 'landing', done: Math.min(done, total), total });
		});
	}

	return { recover, landing, replace };
}
