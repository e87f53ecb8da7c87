import { SocketDBError } from './errors';
import { isObject } from './json';
import { invalidPathReason, malformedTextReason } from './path';

/** A value a query's range compares with: what a child's sort value can be, short of an object. */
export type QueryValue = string | number | boolean | null;

/** What a query sorts children by: their key, their value, or the value at a path inside them. */
export type QueryOrderBy = 'key' | 'value' | { child: string };

/**
 * One end of a query's range. Children sorting before a start (after an end) are left out;
 * `key` breaks the tie among children whose sort value equals `value`; `exclusive` leaves out
 * the bound itself (`startAfter`, `endBefore`).
 */
export type QueryBound = { value: QueryValue; key?: string; exclusive?: boolean };

/**
 * A query on the children of a path, as built by `orderByChild(...).startAt(...)...` and as the
 * `server:subscribe` hook sees it. `equalTo` stands for a start and an end at the same place.
 */
export type QuerySpec = {
	orderBy: QueryOrderBy;
	startAt?: QueryBound;
	endAt?: QueryBound;
	equalTo?: { value: QueryValue; key?: string };
	limitToFirst?: number;
	limitToLast?: number;
};

function invalidQuery(message: string): never {
	throw new SocketDBError('INVALID_QUERY', message);
}

/** Starts a query: `previous` is the query it is chained on, if any (one order per query). */
export function queryOrderedBy(previous: QuerySpec | undefined, orderBy: QueryOrderBy): QuerySpec {
	if (previous !== undefined) invalidQuery('a query has one order');
	if (typeof orderBy === 'object') {
		const reason = typeof orderBy.child !== 'string' ? 'the child path must be a string' : orderBy.child === '' ? 'the child path must not be empty' : invalidPathReason(orderBy.child);
		if (reason !== null) invalidQuery(`orderByChild: ${reason}`);
		return { orderBy: { child: orderBy.child } };
	}
	return { orderBy };
}

function checkBound(spec: QuerySpec, method: string, value: unknown, key: unknown): void {
	if (spec.orderBy === 'key') {
		if (typeof value !== 'string') invalidQuery(`${method}: ordered by key, a bound is a string`);
		if (key !== undefined) invalidQuery(`${method}: ordered by key, no key argument`);
	} else if (value !== null && typeof value !== 'string' && typeof value !== 'boolean' && !Number.isFinite(value)) {
		invalidQuery(`${method}: a bound is null, a boolean, a finite number or a string`);
	}
		if (typeof value === 'string') {
		const reason = malformedTextReason('string', value);
		if (reason !== null) invalidQuery(`${method}: ${reason}`);
	}
	if (key !== undefined) {
		if (typeof key !== 'string') invalidQuery(`${method}: a key is a string`);
		const reason = malformedTextReason('key', key);
		if (reason !== null) invalidQuery(`${method}: ${reason}`);
	}
}

function boundOf(value: QueryValue, key: string | undefined, exclusive: boolean): QueryBound {
	const bound: QueryBound = { value };
	if (key !== undefined) bound.key = key;
	if (exclusive) bound.exclusive = true;
	return bound;
}

/** `startAt` (or, `exclusive`, `startAfter`): the children from this place on. */
export function queryStart(spec: QuerySpec, value: QueryValue, key?: string, exclusive = false): QuerySpec {
	const method = exclusive ? 'startAfter' : 'startAt';
	if (spec.startAt !== undefined || spec.equalTo !== undefined) invalidQuery(`${method}: the start is set`);
	checkBound(spec, method, value, key);
	return { ...spec, startAt: boundOf(value, key, exclusive) };
}

/** `endAt` (or, `exclusive`, `endBefore`): the children up to this place. */
export function queryEnd(spec: QuerySpec, value: QueryValue, key?: string, exclusive = false): QuerySpec {
	const method = exclusive ? 'endBefore' : 'endAt';
	if (spec.endAt !== undefined || spec.equalTo !== undefined) invalidQuery(`${method}: the end is set`);
	checkBound(spec, method, value, key);
	return { ...spec, endAt: boundOf(value, key, exclusive) };
}

/** `equalTo`: the children whose sort value (and key, when given) equal these. */
export function queryEqual(spec: QuerySpec, value: QueryValue, key?: string): QuerySpec {
	if (spec.startAt !== undefined || spec.endAt !== undefined || spec.equalTo !== undefined) invalidQuery('equalTo: the start or end is set');
	checkBound(spec, 'equalTo', value, key);
	return { ...spec, equalTo: key === undefined ? { value } : { value, key } };
}

/** `limitToFirst` / `limitToLast`: at most `count` children from that end of the range. */
export function queryLimit(spec: QuerySpec, end: 'first' | 'last', count: number): QuerySpec {
	const method = end === 'first' ? 'limitToFirst' : 'limitToLast';
	if (spec.limitToFirst !== undefined || spec.limitToLast !== undefined) invalidQuery(`${method}: the limit is set`);
	if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) invalidQuery(`${method}: a limit is a positive integer`);
	return end === 'first' ? { ...spec, limitToFirst: count } : { ...spec, limitToLast: count };
}

const FIELDS = new Set(['orderBy', 'startAt', 'endAt', 'equalTo', 'limitToFirst', 'limitToLast']);

function readBound(raw: unknown, field: string): { value: QueryValue; key?: string; exclusive: boolean } {
	if (!isObject(raw)) invalidQuery(`${field} must be a map`);
	const { value, key, exclusive } = raw;
	if (exclusive !== undefined && typeof exclusive !== 'boolean') invalidQuery(`${field}.exclusive must be a boolean`);
	if (field === 'equalTo' && exclusive !== undefined) invalidQuery('equalTo has no exclusive form');
	return { value: value === undefined ? null : (value as QueryValue), key: key as string | undefined, exclusive: exclusive === true };
}

/**
 * Checks a query that arrived from elsewhere (a message) and returns it rebuilt from its parts,
 * with nothing but the fields a query has.
 *
 * @throws SocketDBError `INVALID_QUERY` when it is not a query or its parts do not go together.
 */
export function parseQuery(raw: unknown): QuerySpec {
	if (!isObject(raw)) invalidQuery('a query must be a map');
	for (const field in raw) if (!FIELDS.has(field)) invalidQuery(`a query has no field "${field}"`);
	const { orderBy } = raw;
	if (orderBy !== 'key' && orderBy !== 'value' && !isObject(orderBy)) invalidQuery('orderBy must be "key", "value" or { child }');
	let spec = queryOrderedBy(undefined, orderBy as QueryOrderBy);
	if (raw['startAt'] !== undefined) {
		const bound = readBound(raw['startAt'], 'startAt');
		spec = queryStart(spec, bound.value, bound.key, bound.exclusive);
	}
	if (raw['endAt'] !== undefined) {
		const bound = readBound(raw['endAt'], 'endAt');
		spec = queryEnd(spec, bound.value, bound.key, bound.exclusive);
	}
	if (raw['equalTo'] !== undefined) {
		const bound = readBound(raw['equalTo'], 'equalTo');
		spec = queryEqual(spec, bound.value, bound.key);
	}
	if (raw['limitToFirst'] !== undefined) spec = queryLimit(spec, 'first', raw['limitToFirst'] as number);
	if (raw['limitToLast'] !== undefined) spec = queryLimit(spec, 'last', raw['limitToLast'] as number);
	return spec;
}

/**
 * A query as the code that makes it reads, after the path it is on: what the connection stats
 * name it by.
 *
 * @example describeQuery('scores', { orderBy: { child: 'points' }, limitToLast: 3 }) // "scores: orderByChild('points').limitToLast(3)"
 */
export function describeQuery(path: string, spec: QuerySpec): string {
	const text = (value: QueryValue | undefined) => (typeof value === 'string' ? `'${value.replace(/[\\']/g, '\\$&')}'` : String(value));
	const bound = (method: string, { value, key }: { value: QueryValue; key?: string }) => `.${method}(${text(value)}${key === undefined ? '' : `, ${text(key)}`})`;
	const { orderBy, startAt, endAt, equalTo } = spec;
	let query = orderBy === 'key' ? 'orderByKey()' : orderBy === 'value' ? 'orderByValue()' : `orderByChild(${text(orderBy.child)})`;
	if (equalTo !== undefined) query += bound('equalTo', equalTo);
	if (startAt !== undefined) query += bound(startAt.exclusive === true ? 'startAfter' : 'startAt', startAt);
	if (endAt !== undefined) query += bound(endAt.exclusive === true ? 'endBefore' : 'endAt', endAt);
	if (spec.limitToFirst !== undefined) query += `.limitToFirst(${spec.limitToFirst})`;
	if (spec.limitToLast !== undefined) query += `.limitToLast(${spec.limitToLast})`;
	return `${path === '' ? '(root)' : path}: ${query}`;
}
