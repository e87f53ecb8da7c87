import { encodeMessage, forEachCommonChild, OBJECT_SORT, type SortValue, forEachTrieNode, isObject, MessageType, parsePath, PathTrie, type NodeDiff, type QueryChange, type QueryEntry, type QuerySpec, type ServerMessage, type Store, type TrieNode } from '@socketdb/core';
import { batchDelay } from './batch-interval';
import type { Subscriber } from './fanout';
import { OrderedIndex, orderName } from './ordered-index';

/** A connection as its queries see it. */
export interface QuerySubscriber extends Subscriber {
	readonly state: string;
}

/**
 * The live queries of one path that are the same query (however many clients hold it): their
 * window is worked out once per change, and a change that leaves it as it was costs nothing more.
 */
type QueryGroup = {
	readonly name: string;
	readonly spec: QuerySpec;
	readonly index: OrderedIndex;
	/** The keys in the window now. */
	window: Set<string>;
	readonly members: Set<QuerySubscription>;
};

/** One live query of one connection. */
export type QuerySubscription = {
	readonly subscriber: QuerySubscriber;
	readonly id: number;
	readonly path: string;
	readonly spec: QuerySpec;
	readonly group: QueryGroup;
	/** Set when the client wants keys only: the sort value last sent for each key it holds. */
	readonly sentSorts: Map<string, SortValue> | undefined;
	/** The keys the client holds (the window as last sent). */
	readonly known: Set<string>;
	/** Keys whose place or value changed since the last send. */
	dirty: Set<string> | undefined;
};

/** The indexes of one path by order name, each with the groups of queries it serves by query. */
type PathIndexes = Map<string, { index: OrderedIndex; groups: Map<string, QueryGroup> }>;

/**
 * Live queries, evaluated on the server. Each (path, order) has one `OrderedIndex`, built when
 * the first query needs it and dropped with the last. The fan-out tells the engine of every
 * applied change; the engine refreshes the children the change touched in the indexes it
 * reaches, moves each query's window and marks the keys whose membership or value changed. Those
 * go out as QUERY_CHANGES with the fan-out's timing (one `updateInterval`), each read from the
 * store as it is then, so a child that changed twice is sent once.
 */
export class QueryEngine {
	private readonly indexes = new PathTrie<PathIndexes>();
	private readonly byPath = new Map<string, PathIndexes>();
	private pending = new Set<QuerySubscription>();
	private timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | undefined;
	/** When the last flush began (`performance.now()` time; see `batchDelay`). */
	private lastFlushAt = -Infinity;
	private revision = 0;

	constructor(
		private readonly store: Store,
		private readonly updateInterval: number,
	) {}

	/** Number of live queries. */
	size = 0;

	/** Registers a query and returns its first result (the window now, in order). */
	subscribe(subscriber: QuerySubscriber, id: number, path: string, spec: QuerySpec, keysOnly: boolean, revision: number): { subscription: QuerySubscription; result: ServerMessage } {
		let indexes = this.byPath.get(path);
		if (indexes === undefined) {
			this.byPath.set(path, (indexes = new Map()));
			this.indexes.add(path, indexes);
		}
		const order = orderName(spec.orderBy);
		let slot = indexes.get(order);
		if (slot === undefined) indexes.set(order, (slot = { index: new OrderedIndex(path, spec.orderBy, this.store), groups: new Map() }));
		const keys = slot.index.window(spec);
		const name = JSON.stringify(spec);
		let group = slot.groups.get(name);
		if (group === undefined) slot.groups.set(name, (group = { name, spec, index: slot.index, window: new Set(keys), members: new Set() }));
		const subscription: QuerySubscription = { subscriber, id, path, spec, group, sentSorts: keysOnly ? new Map() : undefined, known: new Set(), dirty: undefined };
		group.members.add(subscription);
		this.size++;
		return { subscription, result: this.resultOf(subscription, keys, revision) };
	}

	/** The whole window of a query now, as QUERY_RESULT; what the client holds is then this. */
	result(subscription: QuerySubscription, revision: number): ServerMessage {
		subscription.dirty = undefined;
		return this.resultOf(subscription, subscription.group.index.window(subscription.spec), revision);
	}

	private resultOf(subscription: QuerySubscription, keys: string[], revision: number): ServerMessage {
		subscription.known.clear();
		subscription.sentSorts?.clear();
		const entries: QueryEntry[] = [];
		for (const key of keys) {
			const node = this.nodeOf(subscription, key);
			if (node === null) continue;
			entries.push({ key, node });
			subscription.known.add(key);
		}
		return { type: MessageType.QUERY_RESULT, id: subscription.id, entries, rev: revision };
	}

	unsubscribe(subscription: QuerySubscription): void {
		const indexes = this.byPath.get(subscription.path);
		const order = orderName(subscription.spec.orderBy);
		const slot = indexes?.get(order);
		const { group } = subscription;
		if (slot === undefined || !group.members.delete(subscription)) return;
		this.size--;
		this.pending.delete(subscription);
		if (group.members.size > 0) return;
		slot.groups.delete(group.name);
		if (slot.groups.size > 0) return;
		indexes!.delete(order);
		if (indexes!.size > 0) return;
		this.byPath.delete(subscription.path);
		this.indexes.remove(subscription.path, indexes!);
	}

	/** An applied, root-anchored diff, the change of `revision`. */
	changed(diff: NodeDiff, revision: number): void {
		this.revision = revision;
		if (this.size === 0) return;
		this.walk(this.indexes.root, diff);
		this.schedule();
	}

	/** `path` was deleted, the change of `revision`. */
	deleted(path: string, revision: number): void {
		this.revision = revision;
		if (this.size === 0) return;
		const segments = parsePath(path);
		let node: TrieNode<PathIndexes> | undefined = this.indexes.root;
		for (let depth = 0; depth < segments.length && node !== undefined; depth++) {
			// An index above the deleted path: one of its children changed or went.
			if (node.items !== undefined) this.touch(node, [segments[depth]!]);
			node = node.child(segments[depth]!);
		}
		if (node !== undefined) this.clearBelow(node);
		this.schedule();
	}

	private walk(trie: TrieNode<PathIndexes>, diff: NodeDiff): void {
		const value = diff.value;
		if (value === undefined) return;
		if (!isObject(value)) return this.clearBelow(trie);
		if (trie.items !== undefined) this.touch(trie, Object.keys(value));
		forEachCommonChild(trie, value, (child, next) => this.walk(child, next as NodeDiff));
	}

	/** The path and every indexed path below it lost all their children. */
	private clearBelow(trie: TrieNode<PathIndexes>): void {
		forEachTrieNode(trie, (node) => {
			if (node.items === undefined) return;
			for (const indexes of node.items) {
				for (const { index, groups } of indexes.values()) {
					index.clear();
					for (const group of groups.values()) this.moveWindow(group, group.window);
				}
			}
		});
	}

	/** Children `keys` of the indexed path at `trie` changed (or went). */
	private touch(trie: TrieNode<PathIndexes>, keys: readonly string[]): void {
		for (const indexes of trie.items!) {
			for (const { index, groups } of indexes.values()) {
				for (const key of keys) index.refresh(key);
				for (const group of groups.values()) this.moveWindow(group, keys);
			}
		}
	}

	/**
	 * Brings a group's window up to date after `touched` changed, and marks what its members must
	 * be sent. Without a limit, only the touched children can enter or leave; with one, the window
	 * is read again from the index (its size plus a logarithmic search), since a child entering
	 * pushes another out. A child outside the window before and after concerns no member.
	 */
	private moveWindow(group: QueryGroup, touched: Iterable<string>): void {
		const { index, spec, window } = group;
		const changed: string[] = [];
		if (spec.limitToFirst === undefined && spec.limitToLast === undefined) {
			for (const key of [...touched]) {
				const inside = index.inRange(spec, key);
				if (inside) window.add(key);
				else if (!window.delete(key)) continue;
				changed.push(key);
			}
		} else {
			const next = new Set(index.window(spec));
			for (const key of window) if (!next.has(key)) changed.push(key);
			for (const key of next) if (!window.has(key)) changed.push(key);
			for (const key of touched) if (next.has(key) && window.has(key)) changed.push(key);
			group.window = next;
		}
		if (changed.length === 0) return;
		for (const query of group.members) {
			const dirty = (query.dirty ??= new Set());
			for (const key of changed) dirty.add(key);
			this.pending.add(query);
		}
	}

	private schedule(): void {
		if (this.timer !== undefined || this.pending.size === 0) return;
		this.timer = this.updateInterval > 0 ? setTimeout(() => this.flush(), batchDelay(this.updateInterval, this.lastFlushAt, performance.now())) : setImmediate(() => this.flush());
	}

	/** Sends every query's changes now. */
	flush(): void {
		this.timer = undefined;
		const pending = this.pending;
		if (pending.size === 0) return;
		this.lastFlushAt = performance.now();
		this.pending = new Set();
		const touched = new Set<QuerySubscriber>();
		for (const query of pending) {
			const changes = this.changesOf(query);
			if (changes.length === 0 || query.subscriber.state !== 'open') continue;
			query.subscriber.pushUpdate('query', String(query.id), encodeMessage({ type: MessageType.QUERY_CHANGES, id: query.id, changes, rev: this.revision }));
			touched.add(query.subscriber);
		}
		for (const subscriber of touched) subscriber.flush();
	}

	private changesOf(query: QuerySubscription): QueryChange[] {
		const dirty = query.dirty;
		query.dirty = undefined;
		const changes: QueryChange[] = [];
		if (dirty === undefined) return changes;
		for (const key of dirty) {
			const sentSort = query.sentSorts?.get(key);
			const node = query.group.window.has(key) ? this.nodeOf(query, key) : null;
			if (node !== null) {
				// Keys only: a child that stayed and kept its sort value is no news.
				if (sentSort !== undefined && query.known.has(key) && sentSort === query.sentSorts!.get(key)) continue;
				changes.push({ key, node });
				query.known.add(key);
			} else if (query.known.delete(key)) {
				query.sentSorts?.delete(key);
				changes.push({ key });
			}
		}
		return changes;
	}

	/**
	 * What the client is sent of a child in the window: the child as the store holds it, or, for
	 * a query of keys only, its sort value (an object's as `{}`); null when it is gone.
	 */
	private nodeOf(query: QuerySubscription, key: string): NodeDiff | null {
		const { index } = query.group;
		if (query.sentSorts === undefined) return this.store.get(index.childPath(key)) as NodeDiff | null;
		const sort = index.sortOf(key);
		if (sort === undefined) return null;
		query.sentSorts.set(key, sort);
		return { value: sort === OBJECT_SORT ? {} : sort };
	}

	/** Stops the timer, dropping what is queued. */
	stop(): void {
		if (this.timer !== undefined) {
			clearTimeout(this.timer as ReturnType<typeof setTimeout>);
			clearImmediate(this.timer as ReturnType<typeof setImmediate>);
		}
		this.timer = undefined;
		this.pending.clear();
	}
}
