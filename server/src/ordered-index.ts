import { afterStart, beforeEnd, compareEntries, isObject, limitRange, OBJECT_SORT, rangeOf, sortValueOf, storeKeys, type QueryOrderBy, type QuerySpec, type SortEntry, type SortValue, type Store } from '@socketdb/core';
import { OrderTree } from './order-tree';

/** The name of an order, for finding the index of a path in that order. */
export function orderName(orderBy: QueryOrderBy): string {
	return typeof orderBy === 'object' ? `child:${orderBy.child}` : orderBy;
}

/**
 * The children of one path sorted in one order, kept in step with the store: built from the
 * store on first use, then told which children a change touched (`refresh`) or that they all
 * went (`clear`). Each refresh costs time logarithmic in the number of children.
 */
export class OrderedIndex {
	private readonly entries = new Map<string, SortEntry>();
	private readonly tree: OrderTree<SortEntry>;
	private readonly byKey: boolean;

	constructor(
		readonly path: string,
		readonly orderBy: QueryOrderBy,
		private readonly store: Store,
	) {
		this.byKey = orderBy === 'key';
		const byKey = this.byKey;
		this.tree = new OrderTree((a, b) => compareEntries(byKey, a, b));
		for (const key of storeKeys(store, path)) this.refresh(key);
	}

	get size(): number {
		return this.tree.size;
	}

	/** The child's path in the store. */
	childPath(key: string): string {
		return this.path === '' ? key : `${this.path}/${key}`;
	}

	/** Reads a child again from the store; returns whether it is there. */
	refresh(key: string): boolean {
		const sort = this.readSort(key);
		const held = this.entries.get(key);
		if (held !== undefined) {
			if (sort !== undefined && held.sort === sort) return true;
			this.tree.remove(held);
			this.entries.delete(key);
		}
		if (sort === undefined) return false;
		const entry: SortEntry = { key, sort };
		this.entries.set(key, entry);
		this.tree.insert(entry);
		return true;
	}

	/** Every child went (the path was deleted or became a leaf). */
	clear(): void {
		this.entries.clear();
		this.tree.clear();
	}

	has(key: string): boolean {
		return this.entries.has(key);
	}

	/** The sort value the index holds for a child; undefined when it holds no such child. */
	sortOf(key: string): SortValue | undefined {
		return this.entries.get(key)?.sort;
	}

	/** Whether a held child lies in the query's range (its limit aside). */
	inRange(spec: QuerySpec, key: string): boolean {
		const entry = this.entries.get(key);
		if (entry === undefined) return false;
		const { start, end } = rangeOf(spec);
		return afterStart(this.byKey, start, entry) && beforeEnd(this.byKey, end, entry);
	}

	/** The keys of the query's window, in order. */
	window(spec: QuerySpec): string[] {
		const { start, end } = rangeOf(spec);
		const byKey = this.byKey;
		const from = this.tree.countBefore((entry) => afterStart(byKey, start, entry));
		const to = this.tree.countBefore((entry) => !beforeEnd(byKey, end, entry));
		const limited = limitRange(spec, from, Math.max(from, to));
		return this.tree.slice(limited.from, limited.to).map((entry) => entry.key);
	}

	/** The child's sort value as the store holds it now; undefined when the child is absent. */
	private readSort(key: string): SortValue | undefined {
		const { store, orderBy } = this;
		const path = this.childPath(key);
		if (orderBy === 'key' || typeof orderBy === 'object') {
			if (!present(store, path)) return undefined;
			if (orderBy === 'key') return null;
			return leafSort(store, `${path}/${orderBy.child}`) ?? null;
		}
		return leafSort(store, path);
	}
}

/**
 * Whether the store holds a child at `path`, as `get` sees it (a null leaf is no child), without
 * reading a whole object from a store that reads from disk: one with children is there.
 */
function present(store: Store, path: string): boolean {
	if (store.has === undefined || store.keys === undefined) return store.get(path) !== null;
	if (!store.has(path)) return false;
	return store.keys(path).length > 0 || store.get(path) !== null;
}

/** The sort value of what the store holds at `path`, without unwrapping objects; undefined when nothing. */
function leafSort(store: Store, path: string): SortValue | undefined {
	const node = store.get(path);
	if (node === null) return undefined;
	return isObject(node.value) ? OBJECT_SORT : sortValueOf(node.value);
}
