/*
 * The order of a query, as Firebase's Realtime Database sorts: children by a sort value (their
 * own value, or the value at a path inside them), ties by key; or by key alone.
 */

/** What a child sorts by when its sort value is an object or an array: after every primitive, all equal. */
export const OBJECT_SORT: unique symbol = Symbol('object');

/** A child's sort value: a primitive (`null` when absent), or `OBJECT_SORT` for anything that holds more. */
export type SortValue = string | number | boolean | null | typeof OBJECT_SORT;

/** The sort value of a plain value: `undefined` (absent) becomes `null`, objects and arrays `OBJECT_SORT`. */
export function sortValueOf(value: unknown): SortValue {
	if (value === undefined || value === null) return null;
	switch (typeof value) {
		case 'string':
		case 'number':
		case 'boolean':
			return value;
		default:
			return OBJECT_SORT;
	}
}

function rankOf(value: SortValue): number {
	if (value === null) return 0;
	if (value === false) return 1;
	if (value === true) return 2;
	if (typeof value === 'number') return 3;
	if (typeof value === 'string') return 4;
	return 5;
}

/** Compares strings by UTF-16 code units (what `<` does), never by locale. */
export function compareStrings(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Sort values in Firebase's order: null (absent), false, true, numbers ascending, strings in
 * code-unit order, then objects (all equal to each other).
 */
export function compareSortValues(a: SortValue, b: SortValue): number {
	const rank = rankOf(a) - rankOf(b);
	if (rank !== 0) return rank;
	if (typeof a === 'number') return a - (b as number);
	if (typeof a === 'string') return compareStrings(a, b as string);
	return 0;
}

const INT_KEY = /^(?:0|-?[1-9]\d{0,9})$/;
const MIN_INT = -2_147_483_648;
const MAX_INT = 2_147_483_647;

/**
 * The key as a number when it is a 32-bit integer written the usual way (no sign on 0, no
 * leading zeros), otherwise undefined. Only one spelling counts, so two different keys never
 * sort as equal.
 */
export function integerKey(key: string): number | undefined {
	if (!INT_KEY.test(key)) return undefined;
	const number = Number(key);
	return number >= MIN_INT && number <= MAX_INT ? number : undefined;
}

/** Keys in Firebase's order: 32-bit integer keys first, numerically, then the rest in code-unit order. */
export function compareKeys(a: string, b: string): number {
	if (a === b) return 0;
	const intA = integerKey(a);
	const intB = integerKey(b);
	if (intA !== undefined) return intB !== undefined ? intA - intB : -1;
	if (intB !== undefined) return 1;
	return compareStrings(a, b);
}

/** A child as a query sorts it. */
export type SortEntry = { readonly key: string; readonly sort: SortValue };

/** Entries by sort value, ties by key. With order by key the sort value is ignored. */
export function compareEntries(byKey: boolean, a: SortEntry, b: SortEntry): number {
	if (byKey) return compareKeys(a.key, b.key);
	return compareSortValues(a.sort, b.sort) || compareKeys(a.key, b.key);
}
