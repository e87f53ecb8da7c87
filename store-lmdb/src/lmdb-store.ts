import {
	assertRootObject,
	cloneJson,
	createRecord,
	isEmptyObject,
	isObject,
	leafEquals,
	mergeObject,
	parsePath,
	SocketDBError,
	type Meta,
	type Node,
	type NodeDiff,
	type SliceReader,
	type LogPosition,
	type Store,
	withKey,
} from '@socketdb/core';
import { open, type RootDatabase } from 'lmdb';
import { createImporter, LmdbImportError, type ImportTarget } from './lmdb-import';
import { childNode, nodeOf, type Entry, type Slot } from './lmdb-entries';
import { descendantsPrefix, keyOf, rangeEnd } from './lmdb-keys';
import { createSliceReader } from './lmdb-slices';

/** The writes of one event-loop turn, which LMDB commits together; `committed` is the last one's. */
type Batch = { slots: [string, Slot][]; committed: Promise<unknown> | undefined };

export type LmdbStoreOptions = {
	/** The data directory (any name, dots included); created if missing. */
	path: string;
	/** Largest key LMDB accepts, in bytes (its compile-time limit). */
	maxKeyBytes?: number;
	/**
	 * Open for reading only: writes throw, and the directory may be read-only. Where LMDB's lock
	 * file cannot be opened for writing, it reads without it, which is only safe while no other
	 * process writes to the directory.
	 * @default false
	 */
	readOnly?: boolean;
};

/** How far `replace` is, reported after each of its transactions. */
export type ImportProgress = {
	/** `staging`: entries written aside; `landing`: old entries removed and staged ones moved into place. */
	phase: 'staging' | 'landing';
	done: number;
	total: number;
};

export type LmdbStore = Store & {
	flush: () => Promise<void>;
	close: () => Promise<void>;
	has: (path: string) => boolean;
	keys: (path: string) => string[];
	get: (path?: string, onProgress?: (nodes: number) => void) => Node | null;
	readSlices: (path: string) => SliceReader;
	position: () => LogPosition | undefined;
	setPosition: (position: LogPosition) => void;
	/** The number of nodes at and below `path` (objects included), pending writes included. */
	count: (path?: string) => number;
	/**
	 * Replaces the node at `path` and everything below it with `node`, and resolves with the number
	 * of nodes written once that is durable. For imports: it commits a few thousand entries per
	 * transaction, so other writers to the directory keep going, and a crash at any point leaves the
	 * old or the new data once the directory is opened again (see `createImporter`). Subscribers of a
	 * server on this store are not told. Throws `LmdbImportError` `IMPORT_IN_PROGRESS` while another
	 * process is importing into the directory.
	 */
	replace: (path: string, node: Node, onProgress?: (progress: ImportProgress) => void) => Promise<number>;
};

/** Marks the layout on disk, so a directory written by an incompatible version is refused. */
const FORMAT_KEY = '#format';
/** Where the data stands in the database's order of changes; outside every node's key range (`#` sorts before `/`). */
const POSITION_KEY = '#position';
const FORMAT = 1;
const LMDB_MAX_KEY_BYTES = 1978;
const PROGRESS_EVERY = 10_000;
const ENCODER = { useRecords: false, moreTypes: false, structuredClone: false, mapsAsObjects: true };

/**
 * A durable store on LMDB. Every node lives under its own key, `/` followed by its path (the
 * root is `/`), so a subtree is one ordered range: `get` reads it by a range scan, `del` removes
 * the range, and `put` writes only the keys that changed.
 *
 * Reads are synchronous, writes are queued to LMDB, which commits each event-loop turn's
 * writes in one transaction on its own thread. Until that commit is visible, the store reads
 * its own pending writes from an overlay, so `get` after `put` sees the write at once.
 * `flush()` resolves once every write made so far is committed and synced to disk; the server
 * acknowledges a write only then.
 *
 * Nothing is loaded at open: a directory of any size opens in milliseconds and reads on demand.
 * Opening it for writing first finishes an import that was interrupted while it landed, and
 * throws away one that was interrupted while it was staged. A read-only store cannot do that: it
 * refuses to open, or to `get`, while an import is landing (`LmdbImportError` `IMPORT_UNFINISHED`).
 *
 * @example
 * const server = SocketDBServer({ store: createLmdbStore({ path: './data' }) });
 */
export function createLmdbStore(options: LmdbStoreOptions): LmdbStore {
	const maxKeyBytes = Math.min(options.maxKeyBytes ?? LMDB_MAX_KEY_BYTES, LMDB_MAX_KEY_BYTES);
	const readOnly = options.readOnly === true;
	// lmdb-js takes a path with an extension (`data.v1`, mktemp's `tmp.AbC123`) for a file unless told otherwise.
	const db: RootDatabase<Entry | number, string> = open({ path: options.path, noSubdir: false, encoding: 'msgpack', encoder: ENCODER, readOnly });
	const format = db.get(FORMAT_KEY);
	if (format === undefined && !readOnly) db.putSync(FORMAT_KEY, FORMAT);
	else if (format !== undefined && format !== FORMAT) {
		void db.close();
		throw new Error(`the data directory ${options.path} holds format ${String(format)}, this version reads format ${FORMAT}`);
	}
	const importer = createImporter(db as RootDatabase<unknown, string>, options.path, ENCODER);
	const unfinishedImport = () => new LmdbImportError('IMPORT_UNFINISHED', `an import into ${options.path} has not finished landing; opening the directory for writing finishes it`);
	if (!readOnly) importer.recover();
	else if (importer.landing()) {
		void db.close();
		throw unfinishedImport();
	}

	/** Writes queued to LMDB and not yet committed, by key; the newest write of a key wins. */
	const pending = new Map<string, Slot>();
	let batch: Batch | undefined;
	let closed = false;

	/** Refuses, before anything is written, a path longer than LMDB's keys allow. */
	function checkKeyLengths(keys: Iterable<string>): void {
		for (const key of keys) {
			if (Buffer.byteLength(key) > maxKeyBytes) throw new SocketDBError('INVALID_PATH', `path "${key.slice(1, 80)}…" is longer than this store's ${maxKeyBytes - 1} bytes`);
		}
	}

	function read(key: string): Entry | undefined {
		const slot = pending.get(key);
		if (slot !== undefined) return slot.entry ?? undefined;
		return db.get(key) as Entry | undefined;
	}

	/** Every key below `key`'s node with its entry, pending writes included, in no set order. */
	function readBelow(key: string): Map<string, Entry> {
		const prefix = descendantsPrefix(key);
		const found = new Map<string, Entry>();
		for (const { key: foundKey, value } of db.getRange({ start: prefix, end: rangeEnd(prefix) })) {
			if (foundKey !== '/') found.set(foundKey, value as Entry);
		}
		for (const [pendingKey, slot] of pending) {
			if (!pendingKey.startsWith(prefix) || pendingKey === '/') continue;
			if (slot.entry === null) found.delete(pendingKey);
			else found.set(pendingKey, slot.entry);
		}
		return found;
	}

	function write(changes: Map<string, Entry | null>): void {
		if (closed) throw new Error('the store is closed');
		if (readOnly) throw new Error('the store is read-only');
		if (batch === undefined) {
			const current: Batch = (batch = { slots: [], committed: undefined });
			// LMDB commits a turn's writes together; once they are visible there, the overlay's
			// copies go, unless a later write replaced them. A failed commit drops them too, so
			// reads show what is on disk (and `flush()` rejects, so nobody is told it is durable).
			setImmediate(() => {
				if (batch === current) batch = undefined;
				const settled = () => {
					for (const [key, slot] of current.slots) if (pending.get(key) === slot) pending.delete(key);
				};
				current.committed?.then(settled, settled);
			});
		}
		for (const [key, entry] of changes) {
			const slot: Slot = { entry };
			pending.set(key, slot);
			batch.slots.push([key, slot]);
			batch.committed = entry === null ? db.remove(key) : db.put(key, entry);
		}
	}

	function get(path = '', onProgress?: (nodes: number) => void): Node | null {
		const segments = parsePath(path);
		const key = keyOf(segments);
		const entry = key === '/' ? (read('/') ?? {}) : read(key);
		if (entry === undefined || entry.v === null) return null;
		if ('v' in entry) return nodeOf(entry);
		const root = nodeOf(entry);
		const depth = segments.length;
		let nodes = 1;
		for (const [below, child] of readBelow(key)) {
			if (onProgress !== undefined && ++nodes % PROGRESS_EVERY === 0) onProgress(nodes);
			const relative = below.slice(1).split('/').slice(depth);
			let node = root;
			for (let i = 0; i < relative.length - 1; i++) node = childNode(node, relative[i]!);
			const last = relative[relative.length - 1]!;
			const existing = (node.value as Record<string, Node>)[last];
			if ('v' in child) (node.value as Record<string, Node>)[last] = nodeOf(child);
			else if (existing === undefined) (node.value as Record<string, Node>)[last] = nodeOf(child);
			else if (child.m !== undefined) existing.meta = child.m;
		}
		return root;
	}

	function readSlices(path: string): SliceReader {
		return createSliceReader({ db, read, pending }, path);
	}

	function keys(path: string): string[] {
		const key = keyOf(parsePath(path));
		const entry = key === '/' ? {} : read(key);
		if (entry === undefined || 'v' in entry) return [];
		const prefix = descendantsPrefix(key);
		const end = rangeEnd(prefix);
		const found = new Set<string>();
		// Skip over each child's own subtree instead of reading it.
		let start = prefix;
		for (let more = true; more; ) {
			more = false;
			for (const below of db.getKeys({ start, end })) {
				const rest = below.slice(prefix.length);
				if (rest === '') continue;
				const slash = rest.indexOf('/');
				if (slash === -1) {
					found.add(rest);
					continue;
				}
				start = prefix + rest.slice(0, slash) + '0';
				more = true;
				break;
			}
		}
		for (const [pendingKey, slot] of pending) {
			if (!pendingKey.startsWith(prefix)) continue;
			const rest = pendingKey.slice(prefix.length);
			if (rest === '' || rest.includes('/')) continue;
			if (slot.entry === null) found.delete(rest);
			else found.add(rest);
		}
		return [...found];
	}

	function position(): LogPosition | undefined {
		const slot = pending.get(POSITION_KEY);
		return (slot === undefined ? db.get(POSITION_KEY) : slot.entry) as LogPosition | undefined;
	}

	/** Queued with the writes of this turn, so it commits in their transaction. */
	function setPosition(next: LogPosition): void {
		write(new Map([[POSITION_KEY, { ...next } as Entry]]));
	}

	function has(path: string): boolean {
		return read(keyOf(parsePath(path))) !== undefined;
	}

	function put(diff: Node): Node {
		const changes = new Map<string, Entry | null>();
		const applied = apply([], diff as NodeDiff, read('/') ?? {}, changes, true);
		checkKeyLengths(changes.keys());
		if (changes.size > 0) write(changes);
		if (applied === undefined) return { value: createRecord<Node>() };
		if (applied.value === undefined) applied.value = {};
		return applied as Node;
	}

	/**
	 * Merges `diff` into the node at `segments` (currently `current`), with SocketDB's rules (see
	 * `mergeNode`), recording the keys to write in `changes`. Returns what changed.
	 */
	function apply(segments: string[], diff: NodeDiff, current: Entry | undefined, changes: Map<string, Entry | null>, isRoot = false): NodeDiff | undefined {
		const key = keyOf(segments);
		let applied: NodeDiff | undefined;
		let meta = current?.m;
		if (isObject(diff.meta)) {
			const merged = (meta === undefined ? createRecord() : cloneJson(meta)) as Record<string, unknown>;
			const metaChange = mergeObject(merged, diff.meta);
			if (metaChange !== undefined) {
				applied = { meta: metaChange as Meta };
				meta = isEmptyObject(merged) ? undefined : (merged as Meta);
			}
		}
		const withMeta = (entry: Entry): Entry => (meta === undefined ? entry : { ...entry, m: meta });

		const value = diff.value;
		if (isObject(value) && !isEmptyObject(value)) {
			const wasObject = current !== undefined && !('v' in current);
			let changedChildren: Record<string, NodeDiff> | undefined;
			for (const childKey of Object.keys(value)) {
				const childDiff = value[childKey];
				if (!isObject(childDiff)) continue;
				segments.push(childKey);
				const childCurrent = wasObject ? read(keyOf(segments)) : undefined;
				const childChange = apply(segments, childDiff as NodeDiff, childCurrent, changes);
				segments.pop();
				if (childChange !== undefined) changedChildren = withKey(changedChildren, childKey, childChange);
			}
			if (changedChildren !== undefined) {
				(applied ??= {}).value = changedChildren;
				// A new node or a leaf turned into an object: the key now marks an object.
				if (!wasObject || applied.meta !== undefined) changes.set(key, withMeta({}));
				return applied;
			}
		} else if (value !== undefined && !isObject(value)) {
			const isLeaf = current !== undefined && 'v' in current;
			if (!isLeaf || !leafEquals(current.v, value)) {
				if (current !== undefined && !isLeaf && !isRoot) for (const below of readBelow(key).keys()) changes.set(below, null);
				// The store keeps its own copy, so nobody can change it by mutating what they wrote.
				changes.set(key, withMeta({ v: cloneJson(value) }));
				(applied ??= {}).value = value;
				return applied;
			}
		}
		if (applied?.meta !== undefined) changes.set(key, withMeta(current !== undefined && 'v' in current ? { v: current.v } : {}));
		return applied;
	}

	function del(path: string): void {
		const key = keyOf(parsePath(path));
		const changes = new Map<string, Entry | null>();
		for (const below of readBelow(key).keys()) changes.set(below, null);
		// The root stays, as an empty object without meta.
		if (key === '/') {
			if (read('/') !== undefined) changes.set('/', null);
		} else if (read(key) !== undefined) changes.set(key, null);
		if (changes.size > 0) write(changes);
	}

	function flush(): Promise<void> {
		const committed = batch?.committed;
		return (committed === undefined ? Promise.resolve() : committed).then(() => db.flushed).then(() => undefined);
	}

	async function close(): Promise<void> {
		if (closed) return;
		await flush();
		closed = true;
		await db.close();
	}

	function count(path = ''): number {
		const key = keyOf(parsePath(path));
		const prefix = descendantsPrefix(key);
		let total = db.getKeysCount({ start: prefix, end: rangeEnd(prefix) });
		if (key !== '/' && db.doesExist(key)) total++;
		// Pending writes the count of committed keys does not show yet: added keys and removed ones.
		for (const [pendingKey, slot] of pending) {
			if (pendingKey !== key && !pendingKey.startsWith(prefix)) continue;
			const onDisk = db.doesExist(pendingKey);
			if (slot.entry !== null && !onDisk) total++;
			else if (slot.entry === null && onDisk) total--;
		}
		return total;
	}

	async function replace(path: string, node: Node, onProgress?: (progress: ImportProgress) => void): Promise<number> {
		if (readOnly) throw new Error('the store is read-only');
		const segments = parsePath(path);
		if (segments.length === 0) assertRootObject(node.value);
		const entries: [string, Entry][] = [];
		flatten(segments, node, entries);
		checkKeyLengths(entries.map(([entryKey]) => entryKey));
		await flush();
		// Missing or leaf ancestors become objects, keeping their meta, once the old entries are gone.
		const target: ImportTarget = { key: keyOf(segments), ancestors: segments.slice(0, -1).map((_, depth) => keyOf(segments.slice(0, depth + 1))) };
		await importer.replace(target, entries, onProgress);
		// The data changed without a revision, so it is no longer the database whose id the position
		// names: without one, the next server to open the store starts a new database, and clients
		// load their values whole instead of resuming from revisions of the old one.
		const stored = position();
		if (stored?.database !== undefined) {
			const { database: _changed, ...rest } = stored;
			setPosition(rest);
		}
		await db.flushed;
		return entries.length;
	}

	/**
	 * A read-only store cannot finish an import that starts landing while it is open, so its reads
	 * refuse to show data that is part old, part new (the check reads the same snapshot).
	 */
	function getUnlessLanding(path?: string, onProgress?: (nodes: number) => void): Node | null {
		const node = get(path, onProgress);
		if (importer.landing()) throw unfinishedImport();
		return node;
	}

	return { get: readOnly ? getUnlessLanding : get, put, del, flush, close, has, keys, count, replace, readSlices, position, setPosition };
}

/** The entries of `node` and everything below it, parents first. */
function flatten(segments: string[], node: Node, into: [string, Entry][]): void {
	const value: unknown = node.value;
	const entry: Entry = isObject(value) ? {} : { v: value };
	if (node.meta !== undefined && !isEmptyObject(node.meta)) entry.m = node.meta;
	if (segments.length > 0 || entry.m !== undefined) into.push([keyOf(segments), entry]);
	if (!isObject(value)) return;
	for (const key of Object.keys(value)) {
		segments.push(key);
		flatten(segments, value[key] as Node, into);
		segments.pop();
	}
}
