import { queryEnd, queryEqual, queryLimit, queryOrderedBy, queryStart, type QueryOrderBy, type QuerySpec, type QueryValue } from '@socketdb/core';
import type { ChildEvent, QueryEntry } from './child-events';
import type { Unsubscriber } from './types';

/** What a query's listener is told: the whole result, or one child event. */
export type QueryListener =
	| { kind: 'result'; callback: (entries: QueryEntry[]) => void; once: boolean }
	| { kind: 'keys'; callback: (keys: string[]) => void }
	| { kind: 'child'; event: ChildEvent; callback: (entry: QueryEntry, previousKey: string | null) => void };

/** What queries need from the client they belong to. */
export interface QueryRuntime {
	listenQuery(path: string, spec: QuerySpec, listener: QueryListener): Unsubscriber;
}

/**
 * A query on the children of a reference's path, made by `orderByChild`, `orderByKey` or
 * `orderByValue` and narrowed by the range and limit methods. Each method returns a new query;
 * a combination that cannot work (two orders, both limits, a key order with a bound that is not
 * a string) throws `SocketDBError` `INVALID_QUERY` at once. The server evaluates it and sends
 * only the children inside its window.
 *
 * @example db.get('scores').orderByChild('points').limitToLast(3).on((top) => render(top));
 */
export class Query<T = unknown> {
	readonly #runtime: QueryRuntime;

	constructor(
		runtime: QueryRuntime,
		/** The path whose children the query holds. */
		readonly path: string,
		/** The query's parts, as the server sees them. */
		readonly spec: QuerySpec,
	) {
		this.#runtime = runtime;
	}

	#next(spec: QuerySpec): Query<T> {
		return new Query<T>(this.#runtime, this.path, spec);
	}

	/** Not allowed on a query: it has its order already (throws `INVALID_QUERY`). */
	orderByChild(path: string): Query<T> {
		return this.#next(queryOrderedBy(this.spec, { child: path }));
	}

	/** Not allowed on a query: it has its order already (throws `INVALID_QUERY`). */
	orderByKey(): Query<T> {
		return this.#next(queryOrderedBy(this.spec, 'key'));
	}

	/** Not allowed on a query: it has its order already (throws `INVALID_QUERY`). */
	orderByValue(): Query<T> {
		return this.#next(queryOrderedBy(this.spec, 'value'));
	}

	/** Children from `value` on (among those equal to `value`, from `key` on). @example scores.orderByChild('points').startAt(10) */
	startAt(value: QueryValue, key?: string): Query<T> {
		return this.#next(queryStart(this.spec, value, key));
	}

	/** Children after `value` (among those equal to `value`, after `key`). @example posts.orderByKey().startAfter(lastSeenKey) */
	startAfter(value: QueryValue, key?: string): Query<T> {
		return this.#next(queryStart(this.spec, value, key, true));
	}

	/** Children up to `value` (among those equal to `value`, up to `key`). @example scores.orderByChild('points').endAt(100) */
	endAt(value: QueryValue, key?: string): Query<T> {
		return this.#next(queryEnd(this.spec, value, key));
	}

	/** Children before `value` (among those equal to `value`, before `key`). @example names.orderByValue().endBefore('m') */
	endBefore(value: QueryValue, key?: string): Query<T> {
		return this.#next(queryEnd(this.spec, value, key, true));
	}

	/** Children whose sort value is `value` (and, with `key`, that child only). @example users.orderByChild('role').equalTo('admin') */
	equalTo(value: QueryValue, key?: string): Query<T> {
		return this.#next(queryEqual(this.spec, value, key));
	}

	/** The first `count` children of the range. @example messages.orderByKey().limitToFirst(20) */
	limitToFirst(count: number): Query<T> {
		return this.#next(queryLimit(this.spec, 'first', count));
	}

	/** The last `count` children of the range. @example scores.orderByChild('points').limitToLast(3) */
	limitToLast(count: number): Query<T> {
		return this.#next(queryLimit(this.spec, 'last', count));
	}

	/**
	 * Calls `callback` with the children in the window, in the query's order, then after every
	 * change of the window.
	 * @example const stop = db.get('scores').orderByChild('points').limitToLast(3).on((top) => render(top));
	 */
	on(callback: (entries: QueryEntry<T>[]) => void): Unsubscriber {
		return this.#runtime.listenQuery(this.path, this.spec, { kind: 'result', callback: callback as (entries: QueryEntry[]) => void, once: false });
	}

	/**
	 * Calls `callback` once with the children in the window, then stops.
	 * @example db.get('scores').orderByChild('points').limitToLast(1).once(([best]) => show(best));
	 */
	once(callback: (entries: QueryEntry<T>[]) => void): Unsubscriber {
		return this.#runtime.listenQuery(this.path, this.spec, { kind: 'result', callback: callback as (entries: QueryEntry[]) => void, once: true });
	}

	/**
	 * Calls `callback` with the keys in the window, in the query's order, then whenever they or
	 * their order change. The server sends keys only, never the children's values: a way to page
	 * through a large collection without loading it.
	 * @example const stop = db.get('messages').orderByKey().limitToLast(50).onKeys((keys) => renderList(keys));
	 */
	onKeys(callback: (keys: string[]) => void): Unsubscriber {
		return this.#runtime.listenQuery(this.path, this.spec, { kind: 'keys', callback });
	}

	/**
	 * Calls `callback` for each child event of the window: `added` (at first for every child
	 * in it), `changed`, `removed` or `moved`, with the key of the child before it in the order
	 * (null when it is first).
	 * @example db.get('scores').orderByChild('points').onChild('added', (entry, previousKey) => insertAfter(previousKey, entry));
	 */
	onChild(event: ChildEvent, callback: (entry: QueryEntry<T>, previousKey: string | null) => void): Unsubscriber {
		return this.#runtime.listenQuery(this.path, this.spec, { kind: 'child', event, callback: callback as (entry: QueryEntry, previousKey: string | null) => void });
	}
}

/** The query a reference's ordering method starts. */
export function startQuery<T>(runtime: QueryRuntime, path: string, orderBy: QueryOrderBy): Query<T> {
	return new Query<T>(runtime, path, queryOrderedBy(undefined, orderBy));
}
