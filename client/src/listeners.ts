import { forEachCommonChild, forEachTrieNode, isObject, PathTrie, segmentsOf, type Meta, type NodeDiff, type TrieNode } from '@socketdb/core';
import { childOf, childrenOf, type TreeNode } from './persistent-tree';

const UNSEEN = Symbol('unseen');

/** A callback of `on`/`once`. */
export type ValueListener = {
	readonly kind: 'value';
	readonly path: string;
	readonly callback: (data: any, meta?: Meta) => void; // eslint-disable-line @typescript-eslint/no-explicit-any -- typed at the reference
	active: boolean;
	/** The node last delivered (identity), or UNSEEN before the first delivery. */
	last: TreeNode | undefined | typeof UNSEEN;
};

/** A callback of `each`. */
export type EachListener = {
	readonly kind: 'each';
	readonly path: string;
	readonly callback: (key: string) => void;
	active: boolean;
	started: boolean;
	/** Keys already announced; a key leaves this set when it disappears, so a re-added key is announced again. */
	handled: Set<string>;
	/** For `onKeys`: called with the whole list of keys whenever it changes (then `callback` is not used). */
	readonly whole?: ((keys: string[]) => void) | undefined;
};

export type Listener = ValueListener | EachListener;

/** Where a listener's data comes from, decided by the client's subscriptions. */
export interface ListenerSource {
	/** The mirror node for a value listener's path, or `UNAVAILABLE` while no loaded subscription covers it. */
	nodeFor(path: string): TreeNode | undefined | typeof UNAVAILABLE;
	/** The current keys for an each listener's path, or `UNAVAILABLE`. */
	keysFor(path: string): Iterable<string> | typeof UNAVAILABLE;
	dataOf(node: TreeNode | undefined): unknown;
	metaOf(node: TreeNode | undefined): Meta | undefined;
}

export const UNAVAILABLE = Symbol('unavailable');

/**
 * Every `on`, `once` and `each` callback, filed by path. After a change, only the
 * listeners on the changed path, its ancestors and the changed part of its subtree
 * are looked at, and each is called only if what it watches really changed.
 */
export class Listeners {
	readonly trie = new PathTrie<Listener>();

	readonly #source: ListenerSource;

	constructor(source: ListenerSource) {
		this.#source = source;
	}

	addValue(path: string, callback: ValueListener['callback']): ValueListener {
		const listener: ValueListener = { kind: 'value', path, callback, active: true, last: UNSEEN };
		this.trie.add(path, listener);
		return listener;
	}

	addEach(path: string, callback: (key: string) => void, whole?: (keys: string[]) => void): EachListener {
		const listener: EachListener = { kind: 'each', path, callback, active: true, started: false, handled: new Set(), whole };
		this.trie.add(path, listener);
		return listener;
	}

	remove(listener: Listener): void {
		listener.active = false;
		this.trie.remove(listener.path, listener);
	}

	/** True when some listener of `kind` is filed exactly at `path`. */
	hasAt(path: string, kind: Listener['kind']): boolean {
		const items = this.trie.itemsAt(path);
		if (items === undefined) return false;
		for (const listener of items) if (listener.kind === kind) return true;
		return false;
	}

	/**
	 * The highest paths at or below `path` (strictly below with `strictly`) holding a listener of
	 * `kind` (not nested in one another).
	 */
	highestBelow(path: string, kind: Listener['kind'], strictly = false): string[] {
		const start = this.trie.find(path);
		if (start === undefined) return [];
		const found: string[] = [];
		const visit = (node: TrieNode<Listener>, self: boolean) => {
			if (!self && node.items !== undefined && [...node.items].some((listener) => listener.kind === kind)) {
				found.push(node.path);
				return;
			}
			if (node.children !== undefined) for (const child of node.children.values()) visit(child, false);
		};
		visit(start, strictly);
		return found;
	}

	/** Every path at or below `path` holding a listener of `kind`. */
	pathsBelow(path: string, kind: Listener['kind']): string[] {
		const start = this.trie.find(path);
		if (start === undefined) return [];
		const found: string[] = [];
		forEachTrieNode(start, (node) => {
			if (node.items !== undefined && [...node.items].some((listener) => listener.kind === kind)) found.push(node.path);
		});
		return found;
	}

	/** Looks at one listener now (used right after it was added). */
	refreshOne(listener: Listener): void {
		this.#refreshListener(listener);
	}

	/**
	 * Looks at the listeners a change may affect: those above `path`, at `path`, and
	 * below it where `diff` reaches (everything below when `diff` is undefined).
	 */
	refresh(path: string, diff?: NodeDiff): void {
		let trie: TrieNode<Listener> | undefined = this.trie.root;
		const segments = segmentsOf(path);
		for (let depth = 0; depth < segments.length; depth++) {
			this.#refreshNode(trie);
			trie = trie.child(segments[depth]!);
			if (trie === undefined) return;
		}
		// Everything at and below `path` is covered by the same subscription: look the mirror
		// node up once and walk down alongside the listeners.
		const node = this.#source.nodeFor(path);
		if (node === UNAVAILABLE) return;
		if (diff === undefined) this.#refreshBelow(trie, node);
		else this.#refreshAlong(trie, diff, node);
	}

	/** Looks at the each listeners filed exactly at `path`. */
	refreshKeys(path: string): void {
		const items = this.trie.itemsAt(path);
		if (items === undefined) return;
		for (const listener of [...items]) if (listener.kind === 'each') this.#refreshListener(listener);
	}

	#refreshAlong(trie: TrieNode<Listener>, diff: NodeDiff, node: TreeNode | undefined): void {
		this.#deliverAt(trie, node);
		if (trie.children === undefined) return;
		const value = diff.value;
		if (isObject(value)) {
			forEachCommonChild(trie, value, (child, next) => this.#refreshAlong(child, next as NodeDiff, childOf(node, child.key)));
		} else if (value !== undefined) {
			for (const child of [...trie.children.values()]) this.#refreshBelow(child, childOf(node, child.key));
		}
	}

	#refreshBelow(trie: TrieNode<Listener>, node: TreeNode | undefined): void {
		this.#deliverAt(trie, node);
		if (trie.children === undefined) return;
		for (const child of [...trie.children.values()]) this.#refreshBelow(child, childOf(node, child.key));
	}

	/** Hands `node` to the listeners filed at `trie` (whose data is known to be loaded). */
	#deliverAt(trie: TrieNode<Listener>, node: TreeNode | undefined): void {
		const items = trie.items;
		if (items === undefined) return;
		for (const listener of items.size === 1 ? items : [...items]) {
			if (!listener.active) continue;
			if (listener.kind === 'value') this.#deliverValue(listener, node);
			else this.#announceKeys(listener, keysOfNode(node));
		}
	}

	#refreshNode(node: TrieNode<Listener>): void {
		if (node.items === undefined) return;
		for (const listener of [...node.items]) this.#refreshListener(listener);
	}

	/** Looks a listener's data up through the source (which checks that it is loaded) and hands it over. */
	#refreshListener(listener: Listener): void {
		if (!listener.active) return;
		if (listener.kind === 'value') {
			const node = this.#source.nodeFor(listener.path);
			if (node !== UNAVAILABLE) this.#deliverValue(listener, node);
			return;
		}
		const keys = this.#source.keysFor(listener.path);
		if (keys !== UNAVAILABLE) this.#announceKeys(listener, keys);
	}

	#deliverValue(listener: ValueListener, node: TreeNode | undefined): void {
		if (node === listener.last) return;
		listener.last = node;
		listener.callback(this.#source.dataOf(node), this.#source.metaOf(node));
	}

	#announceKeys(listener: EachListener, keys: Iterable<string>): void {
		const first = !listener.started;
		listener.started = true;
		const current = new Set(keys);
		if (listener.whole !== undefined) {
			let changed = first || current.size !== listener.handled.size;
			for (const key of current) if (!changed && !listener.handled.has(key)) changed = true;
			listener.handled = current;
			if (changed) listener.whole([...current]);
			return;
		}
		for (const key of listener.handled) if (!current.has(key)) listener.handled.delete(key);
		for (const key of current) {
			if (!listener.active) return;
			if (listener.handled.has(key)) continue;
			listener.handled.add(key);
			listener.callback(key);
		}
	}
}

/** Keys of an object node; none for leaves and missing nodes. */
export function keysOfNode(node: TreeNode | undefined): Iterable<string> {
	return childrenOf(node)?.keys() ?? [];
}
