import { isObject } from './json';

/**
 * Deep-copies arrays and objects through JSON, as SocketDB did: what JSON cannot hold is dropped
 * (`undefined`, functions) or changed (dates become strings). Primitives come back as they are.
 *
 * @example deepClone([1, { a: 2 }]) // a new array holding a new object
 */
export function deepClone<T>(source: T): T {
	if (typeof source !== 'object' || source === null) return source;
	return JSON.parse(JSON.stringify(source)) as T;
}

/**
 * Copies the object structure of `source`: nested plain objects are new, every other value
 * (arrays included) is shared with `source`. Anything that is not an object comes back as it is.
 *
 * @example simpleDeepClone({ a: { b: [1] } }) // a new `a`, the same array
 */
export function simpleDeepClone<T>(source: T): T {
	if (!isObject(source)) return source;
	const copy: Record<string, unknown> = {};
	for (const key of Object.keys(source)) setOwn(copy, key, simpleDeepClone(source[key]));
	return copy as T;
}

/**
 * Deep-merges `source` into `target` (changing `target`) and returns only what changed: the
 * keys whose values differed, down to the leaves. Arrays and other leaves are compared by
 * identity and replace what was there; a leaf becomes an object where `source` holds one.
 *
 * @example
 * const target = { a: 1, b: { c: 2 } };
 * mergeDiff({ a: 1, b: { c: 3 } }, target); // { b: { c: 3 } }, and target.b.c is 3
 */
export function mergeDiff<Source extends Record<string, unknown>>(source: Source, target: Record<string, unknown>): Partial<Source> {
	const diff: Record<string, unknown> = {};
	for (const key of Object.keys(source)) {
		const value = source[key];
		let current = Object.hasOwn(target, key) ? target[key] : undefined;
		if (isObject(value)) {
			if (!isObject(current)) setOwn(target, key, (current = {}));
			const changed = mergeDiff(value, current as Record<string, unknown>);
			if (Object.keys(changed).length > 0) setOwn(diff, key, changed);
		} else if (current !== value) {
			setOwn(target, key, value);
			setOwn(diff, key, value);
		}
	}
	return diff as Partial<Source>;
}

/** Sets an own property, also for the key `__proto__` (which an assignment would take as the prototype; reads above go through `Object.hasOwn` for the same reason). */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
	if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
	else object[key] = value;
}
