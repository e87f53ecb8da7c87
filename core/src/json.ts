/** A JSON primitive. `undefined` is accepted for SocketDB compatibility and dropped on the wire like `JSON.stringify` does. */
export type JsonPrimitive = string | number | boolean | null | undefined;

export type JsonArray = (JsonPrimitive | Json | JsonArray)[];

/** A value stored as one leaf of the tree: a primitive or a whole array. */
export type LeafValue = JsonPrimitive | JsonArray;

/** An object whose keys become child paths. */
export type Json = {
	[key: string]: JsonPrimitive | Json | JsonArray;
};

/** True for objects that are not arrays: the values that hold child keys. */
export function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for an object with no own enumerable keys. */
export function isEmptyObject(value: Record<string, unknown>): boolean {
	for (const _ in value) return false;
	return true;
}

/** The largest array index: a key V8 keeps as an element, far past any dense range. */
const LAST_ARRAY_INDEX = 4294967294;

/**
 * Whether `key` is an array index from 16 to 1023 ('42'; not '042'): the keys for which V8 gives
 * a new object a backing array as long as the index.
 */
function isMidSizedIndex(key: string): boolean {
	const length = key.length;
	if (length < 2 || length > 4 || key.charCodeAt(0) === 48) return false;
	let index = 0;
	for (let i = 0; i < length; i++) {
		const digit = key.charCodeAt(i) - 48;
		if (digit < 0 || digit > 9) return false;
		index = index * 10 + digit;
	}
	return index >= 16 && index < 1024;
}

/**
 * A new plain object holding `value` at `key`: `{ [key]: value }`, kept small when the key is an
 * array index such as the `42` of `users/42`. An object whose first key is an index below 1024
 * gets from V8 a backing array half as long again as the index (about 1.4 KB for `150`), which
 * enumerating it scans: the objects made for every write to numbered paths cost five times as much
 * to walk and filled the young generation. Adding and removing the last array index first makes
 * the object keep its elements in a dictionary for good, sized by its keys. (From index 1024 on
 * V8 chooses the dictionary itself; below 16 the array is small.)
 */
export function objectWith<T>(key: string, value: T): Record<string, T> {
	const object: Record<string, T> = {};
	if (isMidSizedIndex(key)) {
		(object as Record<number, T | undefined>)[LAST_ARRAY_INDEX] = undefined;
		delete (object as Record<number, T | undefined>)[LAST_ARRAY_INDEX];
	}
	return withKey(object, key, value);
}

/**
 * `object` with `value` at `key` as an own key, or, when there is no object yet, a new one from
 * `objectWith`. Assigning "__proto__" would set the prototype, so that key is defined instead.
 */
export function withKey<T>(object: Record<string, T> | undefined, key: string, value: T): Record<string, T> {
	if (object === undefined) return objectWith(key, value);
	if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
	else object[key] = value;
	return object;
}

/**
 * Creates the map that holds user keys. It has no prototype, so no key a
 * client sends can reach `Object.prototype`.
 */
export function createRecord<T>(): Record<string, T> {
	return Object.create(null) as Record<string, T>;
}
