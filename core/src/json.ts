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

/**
 * Creates the map that holds user keys. It has no prototype, so no key a
 * client sends can reach `Object.prototype`.
 */
export function createRecord<T>(): Record<string, T> {
	return Object.create(null) as Record<string, T>;
}
