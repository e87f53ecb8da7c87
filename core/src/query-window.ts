import { isObject } from './json';
import { compareKeys, compareSortValues, sortValueOf, type SortEntry, type SortValue } from './query-order';
import type { QueryBound, QueryOrderBy, QuerySpec } from './query-spec';

/*
 * Which children a query holds: those between its start and its end, in its order, cut to its
 * limit from one end.
 */

/** The segments of a child path a query sorts by, or null when it sorts by key or by value. */
export function orderSegments(orderBy: QueryOrderBy): string[] | null {
	return typeof orderBy === 'object' ? orderBy.child.split('/') : null;
}

/** A child's sort value under an order, from its plain value. By key it does not matter (null). */
export function sortValueFor(orderBy: QueryOrderBy, value: unknown): SortValue {
	if (orderBy === 'key') return null;
	if (orderBy === 'value') return sortValueOf(value);
	let inner = value;
	for (const segment of orderBy.child.split('/')) {
		if (!isObject(inner)) return null;
		inner = inner[segment];
	}
	return sortValueOf(inner);
}

function compareWithBound(byKey: boolean, entry: SortEntry, bound: QueryBound): number {
	if (byKey) return compareKeys(entry.key, bound.value as string);
	const bySort = compareSortValues(entry.sort, bound.value);
	if (bySort !== 0 || bound.key === undefined) return bySort;
	return compareKeys(entry.key, bound.key);
}

/** The query's range with `equalTo` spelled as a start and an end. */
export function rangeOf(spec: QuerySpec): { start?: QueryBound; end?: QueryBound } {
	if (spec.equalTo !== undefined) return { start: spec.equalTo, end: spec.equalTo };
	const range: { start?: QueryBound; end?: QueryBound } = {};
	if (spec.startAt !== undefined) range.start = spec.startAt;
	if (spec.endAt !== undefined) range.end = spec.endAt;
	return range;
}

/** Whether an entry sorts at or after the start (after it, when exclusive); true without a start. */
export function afterStart(byKey: boolean, start: QueryBound | undefined, entry: SortEntry): boolean {
	if (start === undefined) return true;
	const compared = compareWithBound(byKey, entry, start);
	return start.exclusive === true ? compared > 0 : compared >= 0;
}

/** Whether an entry sorts at or before the end (before it, when exclusive); true without an end. */
export function beforeEnd(byKey: boolean, end: QueryBound | undefined, entry: SortEntry): boolean {
	if (end === undefined) return true;
	const compared = compareWithBound(byKey, entry, end);
	return end.exclusive === true ? compared < 0 : compared <= 0;
}

/** The first index in `[from, to)` where `passes` holds, for a predicate false then true along the list. */
function firstPassing(entries: readonly SortEntry[], from: number, to: number, passes: (entry: SortEntry) => boolean): number {
	let low = from;
	let high = to;
	while (low < high) {
		const middle = (low + high) >>> 1;
		if (passes(entries[middle]!)) high = middle;
		else low = middle + 1;
	}
	return low;
}

/** Cuts a range `[from, to)` of positions to the query's limit. */
export function limitRange(spec: QuerySpec, from: number, to: number): { from: number; to: number } {
	if (spec.limitToFirst !== undefined) return { from, to: Math.min(to, from + spec.limitToFirst) };
	if (spec.limitToLast !== undefined) return { from: Math.max(from, to - spec.limitToLast), to };
	return { from, to };
}

/**
 * The window of a query over entries sorted in its order (see `compareEntries`): the positions
 * `[from, to)` of the children it holds.
 */
export function selectWindow(sorted: readonly SortEntry[], spec: QuerySpec): { from: number; to: number } {
	const byKey = spec.orderBy === 'key';
	const { start, end } = rangeOf(spec);
	const from = firstPassing(sorted, 0, sorted.length, (entry) => afterStart(byKey, start, entry));
	const to = firstPassing(sorted, from, sorted.length, (entry) => !beforeEnd(byKey, end, entry));
	return limitRange(spec, from, to);
}
