import type { NodeDiff } from '@socketdb/core';
import type { OutboxEntry, WriteMessage } from './outbox';

/**
 * Combines the outbox's writes waiting to be sent (`waiting`, in order; `current` tells the
 * entries still in the outbox): a write a later one carries is marked `carried` and listed in the
 * carrier's `carries`, and the carrier's message takes the combined node. Messages of type `set`
 * combine unless `holdsServerValues` says their node holds server values (both are handed in, so
 * that this chunk imports no code). A write whose hooks still run ends it: nothing after it is sent
 * before it.
 *
 * Persistence keeps every write's own message: sent again in order after a reload, they have
 * the combined effect.
 */
export function combineOutbox(waiting: readonly OutboxEntry[], current: (entry: OutboxEntry) => boolean, set: number, holdsServerValues: (node: NodeDiff) => boolean): void {
	const writes: (Waiting & { entry: OutboxEntry })[] = [];
	for (const entry of waiting) {
		if (!current(entry)) continue;
		if (entry.state === 'hooks') break;
		if (entry.state !== 'ready') continue;
		const message = entry.message as Extract<WriteMessage, { path: string }> & { node?: NodeDiff };
		const combines = message.type === set && !holdsServerValues(message.node!);
		writes.push(combines ? { entry, path: message.path, node: message.node } : { entry, path: undefined, node: undefined });
	}
	combineWaiting(writes, ({ entry: earlier }, { entry: later }, node) => {
		earlier.state = 'carried';
		(later.carries ??= []).push(...(earlier.carries ?? []), earlier);
		delete earlier.carries;
		later.message = { ...(later.message as Extract<WriteMessage, { node: NodeDiff }>), node };
	});
}

/**
 * A waiting write as combining sees it: the path and node of a `set` that may combine, or no path
 * for any other write (another kind, or a `set` with server values).
 */
export type Waiting = { path: string | undefined; node: NodeDiff | undefined };

/**
 * Finds the writes among `waiting` (in write order, none sent yet) that a later write to the same
 * path can carry: `carry(earlier, later, node)` is told of each, with the node that has the effect
 * of both, applied in `later`'s place.
 *
 * Only `set`s combine, and only across writes that do not touch their path, its subtree or its
 * ancestors (a write without a path, or a `set` of a related path, ends the run), so applying the
 * combined write in the later one's place leaves every path as applying both would. The writes
 * sent together are applied in one turn of the server, before any subscriber hears of them.
 * Writes with server values, or whose combination no single merge can express (an object over a
 * leaf), stay as they are.
 */
export function combineWaiting<W extends Waiting>(waiting: Iterable<W>, carry: (earlier: W, later: W, node: NodeDiff) => void): void {
	/** The latest `set` per path in the current run; no two of these paths are related. */
	const latest = new Map<string, W>();
	/** Every ancestor of a path in `latest`. */
	const ancestors = new Set<string>();
	for (const write of waiting) {
		const path = write.path;
		if (path === undefined) {
			latest.clear();
			ancestors.clear();
			continue;
		}
		const earlier = latest.get(path);
		if (earlier !== undefined) {
			const node = combineNodes(earlier.node!, write.node!);
			if (node !== undefined) {
				carry(earlier, write, node);
				write.node = node;
			}
			latest.set(path, write);
			continue;
		}
		const above = ancestorsOf(path);
		if (ancestors.has(path) || above.some((ancestor) => latest.has(ancestor))) {
			latest.clear();
			ancestors.clear();
		}
		latest.set(path, write);
		for (const ancestor of above) ancestors.add(ancestor);
	}
}

/** The paths above `path`, the root (`''`) first. */
function ancestorsOf(path: string): string[] {
	if (path === '') return [];
	const above = [''];
	for (let at = path.indexOf('/'); at !== -1; at = path.indexOf('/', at + 1)) above.push(path.slice(0, at));
	return above;
}

/**
 * The node whose merge into any data has the effect of merging `earlier` and then `later`
 * (objects merge key by key, leaves replace, an empty object changes nothing); `undefined` where
 * there is none: an object merged over a leaf makes a new object, which a merge cannot express.
 */
export function combineNodes(earlier: NodeDiff, later: NodeDiff): NodeDiff | undefined {
	const combined: NodeDiff = {};
	const meta = combineValues(earlier.meta, later.meta, false);
	if (meta === CONFLICT) return undefined;
	if (meta !== undefined) combined.meta = meta as NodeDiff['meta'];
	const value = combineValues(earlier.value, later.value, true);
	if (value === CONFLICT) return undefined;
	if (value !== undefined) combined.value = value as NodeDiff['value'];
	return combined;
}

const CONFLICT = Symbol('conflict');

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `nodes`: the values are a node's (children are nodes); else plain objects (meta). */
function combineValues(earlier: unknown, later: unknown, nodes: boolean): unknown {
	if (later === undefined || (isObject(later) && Object.keys(later).length === 0)) return earlier;
	if (earlier === undefined || !isObject(later)) return later;
	if (!isObject(earlier)) return CONFLICT;
	// A map, then entries: keys such as `__proto__` stay plain keys.
	const combined = new Map(Object.entries(earlier));
	for (const [key, next] of Object.entries(later)) {
		const child = !combined.has(key) ? next : nodes ? (combineNodes(combined.get(key) as NodeDiff, next as NodeDiff) ?? CONFLICT) : combineValues(combined.get(key), next, false);
		if (child === CONFLICT) return CONFLICT;
		combined.set(key, child);
	}
	return Object.fromEntries(combined);
}
