import { createRecord, isObject } from './json';
import { mergeNode } from './merge';
import type { Node, NodeDiff } from './node';
import { parsePath } from './path';
import type { SliceReader } from './slice-reader';

/**
 * How far a store's data has come in the database's order of changes: the revision of the last
 * change applied and, when the changes come from a shared log (several processes), that
 * change's position in the log. `database` names the database the revisions count in: they compare
 * only within one.
 */
export type LogPosition = { revision: number; log?: string; database?: string };

/**
 * Where the tree lives. The in-memory store keeps SocketDB's exact shape;
 * durable stores may add the optional members.
 */
export type Store = {
	/** The node at `path` (the root when omitted), or `null` when there is none or its value is `null`. */
	get: (path?: string) => Node | null;
	/** Deep-merges a root-anchored diff into the tree and returns what changed (a node whose value is `{}` when nothing did). */
	put: (diff: Node) => Node;
	/** Removes the node at `path` and everything below it. */
	del: (path: string) => void;
	/** True when the tree holds a node at `path`, even one whose value is `null`. Stores that read from disk add it so that this costs no subtree read. */
	has?: (path: string) => boolean;
	/** The keys of the node at `path` (none for a leaf or a missing node), without reading the values below them. */
	keys?: (path: string) => string[];
	/**
	 * Reads the subtree at `path` a slice at a time (see `SliceReader`), so that a large value is
	 * sent without being held whole. Stores whose `get` builds a copy of the subtree add it; the
	 * server falls back to one `get` without it.
	 */
	readSlices?: (path: string) => SliceReader;
	/** The position saved with the data: where it resumes after a restart. Durable stores add it (with `setPosition`). */
	position?: () => LogPosition | undefined;
	/** Records the position of the last change applied; it becomes durable together with that change's writes. */
	setPosition?: (position: LogPosition) => void;
	/** Resolves once every write made so far is durable. In-memory stores omit it. */
	flush?: () => Promise<void>;
	/** Releases the store's resources. */
	close?: () => Promise<void>;
};

/**
 * The in-memory store: the library's default on both client and server.
 *
 * @example
 * const store = createStore();
 * store.put(nodeify({ users: { 1: { name: 'Ada' } } }));
 * store.get('users/1/name'); // { value: 'Ada' }
 */
export function createStore(): Store {
	let root: Node = { value: createRecord<Node>() };

	function get(path = ''): Node | null {
		let current: Node = root;
		for (const key of parsePath(path)) {
			if (!isObject(current.value)) return null;
			const child = (current.value as Record<string, Node>)[key];
			if (child === undefined || child.value === null) return null;
			current = child;
		}
		return current;
	}

	function put(diff: Node): Node {
		const applied = mergeNode(root, diff as NodeDiff);
		if (applied === undefined) return { value: createRecord<Node>() };
		if (applied.value === undefined) applied.value = createRecord<Node>();
		return applied as Node;
	}

	function del(path: string): void {
		const keys = parsePath(path);
		const last = keys.pop();
		if (last === undefined) {
			root = { value: createRecord<Node>() };
			return;
		}
		let parent: Node = root;
		for (const key of keys) {
			const child = isObject(parent.value) ? (parent.value as Record<string, Node>)[key] : undefined;
			if (child === undefined) return;
			parent = child;
		}
		if (isObject(parent.value)) delete (parent.value as Record<string, Node>)[last];
	}

	const store: Store = { get, put, del };
	liveStores.add(store);
	return store;
}

/** Stores made by `createStore`: their `get` hands out the live tree, which can be walked a slice at a time. */
const liveStores = new WeakSet<Store>();

/** True for a store made by `createStore` (whose exact shape has no room for a marker of its own). */
export function isLiveStore(store: Store): boolean {
	return liveStores.has(store);
}

/**
 * Tells which keys the node at `parent` holds: through `store.has`, or, for stores without it,
 * from one `get` of the parent, whatever the number of keys asked about.
 */
export function storeChildren(store: Store, parent: string): (key: string) => boolean {
	if (store.has !== undefined) return (key) => store.has!(parent === '' ? key : `${parent}/${key}`);
	const value = store.get(parent)?.value;
	return (key) => isObject(value) && key in value;
}

/** `store.keys(path)`, or the keys of a `get` for stores without `keys`. */
export function storeKeys(store: Store, path: string): string[] {
	if (store.keys !== undefined) return store.keys(path);
	const value = store.get(path)?.value;
	return isObject(value) ? Object.keys(value) : [];
}
