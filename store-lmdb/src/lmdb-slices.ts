import { createRecord, estimateBytes, parsePath, SliceMeter, type Node, type NodeDiff, type SliceReader } from '@socketdb/core';
import type { RootDatabase } from 'lmdb';
import { childNode, nodeOf, type Entry, type Slot } from './lmdb-entries';
import { descendantsPrefix, keyOf, rangeEnd } from './lmdb-keys';

/** What the slice reader needs of the store: LMDB, a read that sees pending writes, and those writes. */
export type SliceSource = {
	db: RootDatabase<Entry | number, string>;
	read: (key: string) => Entry | undefined;
	pending: ReadonlyMap<string, Slot>;
};

/**
 * Reads the subtree at `path` a slice at a time: a range scan that resumes after the last key
 * it read, with the pending writes in the range it covered laid over it. Keys come in order,
 * a node's key before its descendants', so a slice holds whole entries and the objects above
 * them as containers.
 */
export function createSliceReader({ db, read, pending }: SliceSource, path: string): SliceReader {
	const segments = parsePath(path);
	const key = keyOf(segments);
	const prefix = descendantsPrefix(key);
	const end = rangeEnd(prefix);
	let after: string | undefined;
	let started = false;
	let finished = false;

	function next(budget: { nodes: number; bytes: number }): { node: NodeDiff | null; done: boolean } {
		if (finished) return { node: null, done: true };
		const meter = new SliceMeter(budget);
		const first = !started;
		let root: Node;
		if (first) {
			started = true;
			const entry = key === '/' ? (read('/') ?? {}) : read(key);
			if (entry === undefined || entry.v === null || 'v' in entry) {
				finished = true;
				return { node: entry === undefined || entry.v === null ? null : nodeOf(entry), done: true };
			}
			root = nodeOf(entry);
			meter.take(entryBytes(0, entry));
		} else root = { value: createRecord<Node>() };

		let keys: string[] = [];
		let entries: Entry[] = [];
		let last: string | undefined;
		let exhausted = true;
		for (const { key: foundKey, value } of db.getRange(after === undefined ? { start: prefix, end } : { start: after, end, exclusiveStart: true })) {
			if (foundKey === '/') continue;
			if (last !== undefined && meter.full) {
				exhausted = false;
				break;
			}
			keys.push(foundKey);
			entries.push(value as Entry);
			meter.take(entryBytes(foundKey.length - prefix.length, value as Entry));
			last = foundKey;
		}
		// Pending writes in the range just read override what LMDB holds; usually there are none.
		let overlay: Map<string, Entry> | undefined;
		for (const [pendingKey, slot] of pending) {
			if (!pendingKey.startsWith(prefix) || pendingKey === '/') continue;
			if (after !== undefined && compareKeys(pendingKey, after) <= 0) continue;
			if (!exhausted && compareKeys(pendingKey, last!) > 0) continue;
			if (overlay === undefined) {
				overlay = new Map();
				for (let i = 0; i < keys.length; i++) overlay.set(keys[i]!, entries[i]!);
			}
			if (slot.entry === null) overlay.delete(pendingKey);
			else overlay.set(pendingKey, slot.entry);
		}
		if (overlay !== undefined) {
			keys = [...overlay.keys()];
			entries = [...overlay.values()];
		}
		if (last !== undefined) after = last;
		finished = exhausted;

		// Keys come in order, so consecutive entries mostly share their parent.
		let parentPath: string | undefined;
		let parent = root;
		for (let i = 0; i < keys.length; i++) {
			const relative = keys[i]!.slice(prefix.length);
			const entry = entries[i]!;
			const slash = relative.lastIndexOf('/');
			const parentKey = slash === -1 ? '' : relative.slice(0, slash);
			if (parentKey !== parentPath) {
				parent = root;
				if (slash !== -1) for (const segment of parentKey.split('/')) parent = childNode(parent, segment);
				parentPath = parentKey;
			}
			const name = relative.slice(slash + 1);
			const children = parent.value as Record<string, Node>;
			const existing = children[name];
			if ('v' in entry || existing === undefined) children[name] = nodeOf(entry);
			else if (entry.m !== undefined) existing.meta = entry.m;
		}
		return { node: first || keys.length > 0 ? root : null, done: finished };
	}
	return { next };
}

/** The estimated size of an entry in a slice, its key being `keyLength` characters. */
function entryBytes(keyLength: number, entry: Entry): number {
	return keyLength + 3 + ('v' in entry ? estimateBytes(entry.v) : 3) + (entry.m === undefined ? 0 : estimateBytes(entry.m) + 8);
}

/**
 * Orders keys as LMDB does: by UTF-8 bytes, that is by code point. UTF-16 code units (`<`) differ
 * from that only between a surrogate (a character beyond U+FFFF) and U+E000–U+FFFF.
 */
function compareKeys(a: string, b: string): number {
	const length = Math.min(a.length, b.length);
	for (let i = 0; i < length; i++) {
		const x = a.charCodeAt(i);
		const y = b.charCodeAt(i);
		if (x === y) continue;
		if (x >= 0xd800 && y >= 0xd800 && x <= 0xdfff !== y <= 0xdfff) return x <= 0xdfff ? 1 : -1;
		return x - y;
	}
	return a.length - b.length;
}
