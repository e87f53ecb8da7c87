import { SocketDBError } from './errors';
import { isObject } from './json';
import { invalidKeyReason, malformedTextReason, RESERVED_KEYS } from './path';
import { assertServerValueSpec } from './server-values';

/** Bounds applied while checking a value. */
export type ValueLimits = {
	/** Deepest nesting of objects and arrays inside one write. */
	maxDepth: number;
	/** Most keys (object keys and array items together) inside one write. */
	maxKeys: number;
};

type Budget = { keys: number; readonly limits: ValueLimits; readonly allowServerValues: boolean; serverValues: boolean };

function isPlainObject(value: object): boolean {
	const proto = Object.getPrototypeOf(value) as unknown;
	return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
	if (value === undefined) return 'undefined';
	if (typeof value === 'number') return String(value);
	if (typeof value === 'object' && value !== null) return value.constructor?.name ?? 'object';
	return typeof value;
}

function fail(path: string, detail: string): never {
	throw new SocketDBError('INVALID_VALUE', path === '' ? detail : `${detail} at "${path}"`);
}

function spendKey(budget: Budget): void {
	if (--budget.keys < 0) throw new SocketDBError('TOO_MANY_KEYS', `a write may hold at most ${budget.limits.maxKeys} keys`);
}

function checkDepth(depth: number, budget: Budget): void {
	if (depth > budget.limits.maxDepth) throw new SocketDBError('TOO_DEEP', `a value may nest at most ${budget.limits.maxDepth} levels`);
}

/** Checks a JSON value: primitives, finite numbers, arrays and plain objects with valid keys. */
function checkJson(value: unknown, path: string, depth: number, budget: Budget): void {
	switch (typeof value) {
		case 'string': {
			const reason = malformedTextReason('string', value);
			if (reason !== null) fail(path, reason);
			return;
		}
		case 'boolean':
			return;
		case 'number':
			if (!Number.isFinite(value)) fail(path, `${value} is not a JSON number`);
			return;
		case 'object': {
			if (value === null) return;
			checkDepth(depth, budget);
			if (Array.isArray(value)) {
				for (let i = 0; i < value.length; i++) {
					spendKey(budget);
					checkJson(value[i], `${path}[${i}]`, depth + 1, budget);
				}
				return;
			}
			if (!isPlainObject(value)) fail(path, `${describe(value)} is not a JSON value`);
			for (const key of Object.keys(value)) {
				spendKey(budget);
				if (RESERVED_KEYS.has(key)) fail(path, `key "${key}" is reserved`);
				const malformed = malformedTextReason('key', key);
				if (malformed !== null) fail(path, malformed);
				checkJson((value as Record<string, unknown>)[key], path === '' ? key : `${path}/${key}`, depth + 1, budget);
			}
			return;
		}
		default:
			fail(path, `${describe(value)} is not a JSON value`);
	}
}

function checkNode(node: unknown, path: string, depth: number, budget: Budget): void {
	if (typeof node !== 'object' || node === null || Array.isArray(node) || !isPlainObject(node)) fail(path, 'a node must be a map with "value" and optional "meta"');
	checkDepth(depth, budget);
	const record = node as Record<string, unknown>;
	for (const key of Object.keys(record)) {
		if (key !== 'value' && key !== 'meta' && (key !== 'sv' || !budget.allowServerValues)) fail(path, `unexpected node field "${key}"`);
	}
	const meta = record['meta'];
	if (meta !== undefined) {
		if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) fail(path, 'meta must be a map');
		checkJson(meta, path, depth + 1, budget);
	}
	if (record['sv'] !== undefined) {
		if (record['value'] !== undefined) fail(path, 'a server value node holds no value');
		assertServerValueSpec(record['sv'], path);
		budget.serverValues = true;
		return;
	}
	const value = record['value'];
	if (value === undefined) return;
	if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
		if (!isPlainObject(value)) fail(path, `${describe(value)} is not a JSON value`);
		for (const key of Object.keys(value)) {
			spendKey(budget);
			const reason = invalidKeyReason(key);
			if (reason !== null) fail(path, reason);
			checkNode((value as Record<string, unknown>)[key], path === '' ? key : `${path}/${key}`, depth + 1, budget);
		}
		return;
	}
	checkJson(value, path, depth + 1, budget);
}

/**
 * Checks a node diff received from the network before any hook or store sees it. With
 * `allowServerValues`, a leaf may be a server value (`{ sv }`, see `ServerValue`): the result
 * says whether any is.
 *
 * @throws SocketDBError `INVALID_VALUE`, `TOO_DEEP` or `TOO_MANY_KEYS`.
 */
export function validateNodeDiff(node: unknown, limits: ValueLimits, path = '', allowServerValues = false): boolean {
	const budget: Budget = { keys: limits.maxKeys, limits, allowServerValues, serverValues: false };
	checkNode(node, path, 0, budget);
	return budget.serverValues;
}

/**
 * Checks a JSON value (for instance a heartbeat payload).
 *
 * @throws SocketDBError `INVALID_VALUE`, `TOO_DEEP` or `TOO_MANY_KEYS`.
 */
export function validateJson(value: unknown, limits: ValueLimits): void {
	checkJson(value, '', 0, { keys: limits.maxKeys, limits, allowServerValues: false, serverValues: false });
}

/**
 * Throws `INVALID_VALUE` unless `value` is an object: what is written at the root replaces or
 * merges into the root, and the root of the tree must stay an object.
 */
export function assertRootObject(value: unknown): asserts value is Record<string, unknown> {
	if (!isObject(value)) throw new SocketDBError('INVALID_VALUE', 'the root of the tree must stay an object');
}
