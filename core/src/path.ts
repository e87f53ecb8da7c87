import { BoundedCache } from './bounded-cache';
import { SocketDBError } from './errors';

/** Keys that would reach an object's prototype chain; refused everywhere. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Removes one leading and one trailing slash, as SocketDB did: `'/a/b/'` becomes `'a/b'`.
 *
 * @example normalizePath('/users/42/') // 'users/42'
 */
export function normalizePath(path: string): string {
	let start = 0;
	let end = path.length;
	if (path.charCodeAt(0) === 47 /* / */) start = 1;
	if (end > start && path.charCodeAt(end - 1) === 47) end -= 1;
	return start === 0 && end === path.length ? path : path.slice(start, end);
}

/**
 * Splits a path into its segments; the root (`''`) has none.
 *
 * @example parsePath('users/42/name') // ['users', '42', 'name']
 */
export function parsePath(path: string): string[] {
	const normalized = normalizePath(path);
	return normalized === '' ? [] : normalized.split('/');
}

/** Paths parsed and checked are remembered; this many per generation (see BoundedCache). */
const PATH_CACHE_SIZE = 50_000;
const segmentCache = new BoundedCache<string, readonly string[]>(PATH_CACHE_SIZE);

/**
 * Like `parsePath`, but returns a shared, frozen array from a bounded cache: for hot paths
 * that parse the same few paths over and over. Never mutate the result.
 */
export function segmentsOf(path: string): readonly string[] {
	let segments = segmentCache.get(path);
	if (segments === undefined) {
		segments = Object.freeze(parsePath(path));
		segmentCache.set(path, segments);
	}
	return segments;
}

/**
 * Joins two paths into one normalized path.
 *
 * @example joinPath('users', '42') // 'users/42'
 * @example joinPath('', 'users/') // 'users'
 */
export function joinPath(path: string, subpath: string): string {
	const a = normalizePath(path);
	const b = normalizePath(subpath);
	if (a === '') return b;
	if (b === '') return a;
	return `${a}/${b}`;
}

/**
 * True when `path` lies strictly below `parentPath`; every path lies below the root.
 *
 * @example isChildPath('users/42', 'users') // true
 * @example isChildPath('users10', 'users') // false
 */
export function isChildPath(path: string, parentPath: string): boolean {
	const parent = normalizePath(parentPath);
	const child = normalizePath(path);
	if (parent === '') return child !== '';
	return child.startsWith(`${parent}/`);
}

/**
 * True for a path that ends in a wildcard segment (`*` or `…/*`), SocketDB's name for "the keys
 * of" a path.
 *
 * @example isWildcardPath('players/*') // true
 * @example isWildcardPath('players/1*') // false
 */
export function isWildcardPath(path: string): boolean {
	return path === '*' || path.endsWith('/*');
}

/**
 * The path without its wildcard segment; other paths come back unchanged.
 *
 * @example trimWildcard('players/*') // 'players'
 * @example trimWildcard('*') // ''
 */
export function trimWildcard(path: string): string {
	return isWildcardPath(path) ? path.slice(0, -2) : path;
}

/** The path one level up; the root's parent is the root. */
export function parentPath(path: string): string {
	const normalized = normalizePath(path);
	const slash = normalized.lastIndexOf('/');
	return slash === -1 ? '' : normalized.slice(0, slash);
}

/** The last segment of a path (`''` for the root). */
export function lastSegment(path: string): string {
	const normalized = normalizePath(path);
	return normalized.slice(normalized.lastIndexOf('/') + 1);
}

/**
 * True when `text` is well-formed UTF-16: no lone surrogates. Anything else cannot travel as UTF-8
 * unchanged (it would arrive as replacement characters), so it is refused rather than altered.
 */
export function isWellFormed(text: string): boolean {
	return hasIsWellFormed ? (text as WellFormedString).isWellFormed() : !LONE_SURROGATE.test(text);
}

/**
 * Explains why `text` (a key, a string value or a path) cannot be stored as it is, or returns
 * null when it is well-formed UTF-16.
 */
export function malformedTextReason(kind: 'key' | 'string' | 'path', text: string): string | null {
	if (isWellFormed(text)) return null;
	const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
	return `the ${kind} ${shown} holds a lone surrogate (not well-formed UTF-16)`;
}

type WellFormedString = string & { isWellFormed(): boolean };
const hasIsWellFormed = typeof (String.prototype as Partial<WellFormedString>).isWellFormed === 'function';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Explains why a key cannot be stored, or returns null when it can.
 * Keys must be non-empty, well-formed UTF-16, must not contain `/` and must not be a reserved key.
 */
export function invalidKeyReason(key: string): string | null {
	if (key === '') return 'empty key';
	if (key.includes('/')) return `key "${key}" contains "/"`;
	if (RESERVED_KEYS.has(key)) return `key "${key}" is reserved`;
	return malformedTextReason('key', key);
}

/**
 * Explains why a path cannot be used, or returns null when it can.
 * The root is `''`; every other path is keys joined by single slashes, so an empty segment
 * (a leading, trailing or doubled `/`) is refused rather than dropped: dropping it would move
 * the write to another node.
 */
export function invalidPathReason(path: string, maxLength = Infinity): string | null {
	if (path.length > maxLength) return `path is longer than ${maxLength} characters`;
	// Most paths are checked again and again; valid ones are remembered.
	if (validPaths.get(path) === true) return null;
	const reason = segmentsReason(path);
	if (reason === null) validPaths.set(path, true);
	return reason;
}

const validPaths = new BoundedCache<string, true>(PATH_CACHE_SIZE);

/**
 * Throws `INVALID_PATH` unless `path` is a string `invalidPathReason` accepts (at most
 * `maxLength` characters).
 *
 * @example assertPath('users/42') // passes
 * @example assertPath('users//42') // throws: an empty segment
 */
export function assertPath(path: unknown, maxLength?: number): asserts path is string {
	const reason = typeof path === 'string' ? invalidPathReason(path, maxLength) : 'the path must be a string';
	if (reason !== null) throw new SocketDBError('INVALID_PATH', reason);
}

function segmentsReason(path: string): string | null {
	if (path === '') return null;
	for (const segment of path.split('/')) {
		if (segment === '') return `path "${path}" has an empty segment (a leading, trailing or doubled "/")`;
		if (RESERVED_KEYS.has(segment)) return `path "${path}" uses the reserved key "${segment}"`;
	}
	return malformedTextReason('path', path);
}
