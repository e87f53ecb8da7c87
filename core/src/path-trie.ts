import { normalizePath, parsePath, segmentsOf } from './path';

/** One segment of a `PathTrie`. Maps and sets are created on first use to keep idle nodes small. */
export class TrieNode<T> {
	children: Map<string, TrieNode<T>> | undefined;
	items: Set<T> | undefined;

	constructor(
		readonly parent: TrieNode<T> | undefined,
		readonly key: string,
		readonly path: string,
	) {}

	child(key: string): TrieNode<T> | undefined {
		return this.children?.get(key);
	}

	get isEmpty(): boolean {
		return (this.items === undefined || this.items.size === 0) && (this.children === undefined || this.children.size === 0);
	}
}

/**
 * Items (subscriptions, listeners) filed under paths, one node per path segment.
 * Finding what a change at `a/b/c` touches costs the path's depth plus the
 * affected subtree, never the total number of items.
 */
export class PathTrie<T> {
	readonly root = new TrieNode<T>(undefined, '', '');
	#count = 0;

	/** Number of items filed. */
	get size(): number {
		return this.#count;
	}

	/** The node for `path`, or `undefined` when nothing is filed at or below it. */
	find(path: string | readonly string[]): TrieNode<T> | undefined {
		let node: TrieNode<T> | undefined = this.root;
		for (const key of typeof path === 'string' ? segmentsOf(path) : path) {
			node = node.child(key);
			if (node === undefined) return undefined;
		}
		return node;
	}

	/** Files `item` under `path`; returns false when it was already there. */
	add(path: string, item: T): boolean {
		let node = this.root;
		// Not `segmentsOf`: its cache would keep every subscribed path's segments.
		const segments = parsePath(path);
		for (let depth = 0; depth < segments.length; depth++) {
			const key = segments[depth]!;
			let next = node.child(key);
			if (next === undefined) {
				// The last node takes the caller's string rather than a copy of it: one string per path.
				const nodePath = depth === segments.length - 1 ? normalizePath(path) : node.path === '' ? key : `${node.path}/${key}`;
				next = new TrieNode(node, key, nodePath);
				(node.children ??= new Map()).set(key, next);
			}
			node = next;
		}
		const items = (node.items ??= new Set());
		if (items.has(item)) return false;
		items.add(item);
		this.#count++;
		return true;
	}

	/** Removes `item` from `path` and prunes nodes left empty; returns false when it was not there. */
	remove(path: string, item: T): boolean {
		const node = this.find(path);
		if (node?.items === undefined || !node.items.delete(item)) return false;
		this.#count--;
		if (node.items.size === 0) node.items = undefined;
		this.#prune(node);
		return true;
	}

	/** Items filed exactly at `path`. */
	itemsAt(path: string): ReadonlySet<T> | undefined {
		return this.find(path)?.items;
	}

	/** True when an item is filed at `path` or at one of its ancestors. */
	coversPath(path: string): boolean {
		return this.coveringNode(path) !== undefined;
	}

	/** The highest node at or above `path` that holds items. */
	coveringNode(path: string): TrieNode<T> | undefined {
		let node: TrieNode<T> | undefined = this.root;
		if (node.items !== undefined) return node;
		for (const key of segmentsOf(path)) {
			node = node.child(key);
			if (node === undefined) return undefined;
			if (node.items !== undefined) return node;
		}
		return undefined;
	}

	#prune(node: TrieNode<T>): void {
		let current: TrieNode<T> | undefined = node;
		while (current?.parent !== undefined && current.isEmpty) {
			current.parent.children?.delete(current.key);
			if (current.parent.children?.size === 0) current.parent.children = undefined;
			current = current.parent;
		}
	}
}

/** Visits `node` and every node below it, depth first. */
export function forEachTrieNode<T>(node: TrieNode<T>, visit: (node: TrieNode<T>) => void): void {
	visit(node);
	if (node.children === undefined) return;
	for (const child of [...node.children.values()]) forEachTrieNode(child, visit);
}

/**
 * Calls `visit` for every key present both below `trie` and in `children`, iterating the
 * smaller side: a change never pays for items filed under siblings it does not touch.
 */
export function forEachCommonChild<T>(trie: TrieNode<T>, children: Record<string, unknown>, visit: (child: TrieNode<T>, value: unknown) => void): void {
	const subscribed = trie.children;
	if (subscribed === undefined) return;
	const keys = Object.keys(children);
	if (keys.length <= subscribed.size) {
		for (const key of keys) {
			const child = subscribed.get(key);
			if (child !== undefined) visit(child, children[key]);
		}
		return;
	}
	for (const [key, child] of subscribed) {
		const value = children[key];
		if (value !== undefined) visit(child, value);
	}
}
