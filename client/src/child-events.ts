import { compareEntries, sortValueFor, unwrap, type Meta, type Node, type NodeDiff, type QueryChange, type QueryEntry as WireEntry, type QuerySpec, type SortValue } from '@socketdb/core';
import { deepFreeze } from './deep-freeze';

/** One child of a query's result: its key, its value (an immutable snapshot) and its meta, if any. */
export type QueryEntry<T = unknown> = { readonly key: string; readonly value: T; readonly meta?: Meta };

/** The child events, in the order they are told within one change. */
export const CHILD_EVENTS = ['removed', 'added', 'moved', 'changed'] as const;
export type ChildEvent = (typeof CHILD_EVENTS)[number];

/** One child event: the child and the key of the child before it in the order (null when first). */
export type ChildEventCall = { event: ChildEvent; entry: QueryEntry; previousKey: string | null };

type Held = { entry: QueryEntry; sort: SortValue; json: string };

/**
 * A query's window as the client holds it: the children the server sent, sorted by the query's
 * order here (the server sends changes, not places). Each change returns the child events it
 * makes: removed (previous key in the old order), added, moved (a child whose sort value changed
 * and whose place among the children that stayed changed), changed (previous keys in the new order).
 */
export class QueryWindow {
	#held = new Map<string, Held>();
	#order: string[] = [];
	readonly #byKey: boolean;
	/** Whether the server's first result arrived. */
	loaded = false;

	readonly #spec: QuerySpec;

	constructor(spec: QuerySpec) {
		this.#spec = spec;
		this.#byKey = spec.orderBy === 'key';
	}

	/** The entries in order; the same array until the window changes. */
	entries: readonly QueryEntry[] = Object.freeze([]);

	/** A whole result: it replaces what is held. */
	replace(wire: readonly WireEntry[]): ChildEventCall[] {
		const next = new Map<string, Held>();
		for (const { key, node } of wire) next.set(key, this.#heldOf(key, node));
		this.loaded = true;
		return this.#moveTo(next);
	}

	/** Changes of the window. */
	apply(changes: readonly QueryChange[]): ChildEventCall[] {
		const next = new Map(this.#held);
		for (const { key, node } of changes) {
			if (node === undefined) next.delete(key);
			else next.set(key, this.#heldOf(key, node));
		}
		return this.#moveTo(next);
	}

	#heldOf(key: string, node: NodeDiff): Held {
		const json = JSON.stringify(node);
		const before = this.#held.get(key);
		// An unchanged child keeps its snapshot (and its identity).
		if (before !== undefined && before.json === json) return before;
		const value = deepFreeze(unwrap(node as Node));
		const entry: QueryEntry = node.meta === undefined ? { key, value } : { key, value, meta: deepFreeze(node.meta) };
		return { entry: Object.freeze(entry), sort: sortValueFor(this.#spec.orderBy, value), json };
	}

	#moveTo(next: Map<string, Held>): ChildEventCall[] {
		const before = this.#held;
		const oldOrder = this.#order;
		const byKey = this.#byKey;
		const order = [...next.keys()].sort((a, b) => compareEntries(byKey, { key: a, sort: next.get(a)!.sort }, { key: b, sort: next.get(b)!.sort }));
		this.#held = next;
		this.#order = order;
		const calls: ChildEventCall[] = [];
		const previousIn = (keys: readonly string[]) => {
			const previous = new Map<string, string | null>();
			keys.forEach((key, index) => previous.set(key, index === 0 ? null : keys[index - 1]!));
			return previous;
		};
		const oldPrevious = previousIn(oldOrder);
		const newPrevious = previousIn(order);
		for (const key of oldOrder) if (!next.has(key)) calls.push({ event: 'removed', entry: before.get(key)!.entry, previousKey: oldPrevious.get(key)! });
		for (const key of order) if (!before.has(key)) calls.push({ event: 'added', entry: next.get(key)!.entry, previousKey: newPrevious.get(key)! });
		const stayedOld = previousIn(oldOrder.filter((key) => next.has(key)));
		const stayedNew = previousIn(order.filter((key) => before.has(key)));
		for (const key of order) {
			const old = before.get(key);
			if (old === undefined || old.sort === next.get(key)!.sort || stayedOld.get(key) === stayedNew.get(key)) continue;
			calls.push({ event: 'moved', entry: next.get(key)!.entry, previousKey: newPrevious.get(key)! });
		}
		for (const key of order) {
			const old = before.get(key);
			if (old !== undefined && old !== next.get(key)) calls.push({ event: 'changed', entry: next.get(key)!.entry, previousKey: newPrevious.get(key)! });
		}
		if (calls.length > 0 || this.entries.length !== order.length) this.entries = Object.freeze(order.map((key) => next.get(key)!.entry));
		return calls;
	}

	/** The children as `added` events, in order: what a new `added` listener is told first. */
	currentAdded(): ChildEventCall[] {
		return this.#order.map((key, index) => ({ event: 'added' as const, entry: this.#held.get(key)!.entry, previousKey: index === 0 ? null : this.#order[index - 1]! }));
	}
}
