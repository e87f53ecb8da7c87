import { describe, expect, test } from 'vitest';
import { SocketDBError } from './errors';
import { nodeify } from './node';
import { assertRootObject, validateJson, validateNodeDiff } from './validate';
import type { ValueLimits } from './validate';

const limits: ValueLimits = { maxDepth: 32, maxKeys: 10_000 };

function codeOf(run: () => void): string | undefined {
	try {
		run();
	} catch (error) {
		if (error instanceof SocketDBError) return error.code;
		return `not a SocketDBError: ${String(error)}`;
	}
	return undefined;
}

const check = (node: unknown, bounds: ValueLimits = limits) => codeOf(() => validateNodeDiff(node, bounds));
const leaf = (value: unknown) => ({ value: { a: { value } } });

/** `{ k: { k: ... 'bottom' } }` as a node tree `levels` objects deep (the root counts as one). */
function deepNode(levels: number): unknown {
	let node: unknown = { value: 'bottom' };
	for (let i = 0; i < levels; i++) node = { value: { k: node } };
	return node;
}

describe('accepts JSON nodes', () => {
	test.each([
		['an empty root', { value: {} }],
		['a nodeified tree', nodeify({ a: 1, b: 'two', c: true, d: null, e: { f: [1, 'x', null, false, { g: [[]] }] } })],
		['meta only', { meta: { updated: 1 } }],
		['value and meta at every level', { value: { a: { value: 1, meta: { by: { id: 'u' }, tags: ['x'] } } }, meta: { root: true } }],
		['a diff without value or meta', {}],
		['a child without value', { value: { a: { meta: { x: 1 } } } }],
		['negative and fractional numbers', leaf([-1, 0.5, -0, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE])],
		['unicode keys and values', nodeify({ 'ключ 🔑': 'значение ✓' })],
		['keys that look like Object.prototype members', nodeify({ toString: 1, hasOwnProperty: { valueOf: 2 } })],
		['records without prototype', { value: Object.assign(Object.create(null) as object, { a: { value: Object.assign(Object.create(null) as object, { b: { value: 1 } }) } }) }],
		['a leaf at the root', { value: 5 }],
		['an empty array', leaf([])],
		['an empty object in an array', leaf([{}])],
	])('%s', (_, node) => {
		expect(check(node)).toBeUndefined();
	});
});

describe('refuses values that are not JSON with INVALID_VALUE', () => {
	test.each([
		['a Date', new Date(0)],
		['a Map', new Map([['a', 1]])],
		['a Set', new Set([1])],
		['a Uint8Array', new Uint8Array([1, 2])],
		['an ArrayBuffer', new ArrayBuffer(2)],
		['a RegExp', /x/],
		['a class instance', new (class Point { x = 1; })()],
		['a boxed number', new Number(1)],
		['a boxed string', new String('s')],
		['an Error', new Error('x')],
		['a promise', Promise.resolve()],
	])('%s as a leaf', (_, value) => {
		expect(check(leaf(value))).toBe('INVALID_VALUE');
	});

	test.each([
		['a Date', new Date(0)],
		['a Map', new Map()],
		['a Uint8Array', new Uint8Array(1)],
	])('%s inside an array', (_, value) => {
		expect(check(leaf([1, [2, value]]))).toBe('INVALID_VALUE');
	});

	test.each([
		['a Date', new Date(0)],
		['a Map', new Map()],
		['a Uint8Array', new Uint8Array(1)],
	])('%s inside an object inside an array', (_, value) => {
		expect(check(leaf([{ nested: { x: value } }]))).toBe('INVALID_VALUE');
	});

	test.each([
		['a Date', new Date(0)],
		['a Map', new Map()],
		['a Uint8Array', new Uint8Array(1)],
	])('%s as meta or inside meta', (_, value) => {
		expect(check({ value: {}, meta: value })).toBe('INVALID_VALUE');
		expect(check({ value: {}, meta: { x: value } })).toBe('INVALID_VALUE');
		expect(check({ value: { a: { value: 1, meta: { deep: { x: value } } } } })).toBe('INVALID_VALUE');
	});

	test.each([
		['a Date', new Date(0)],
		['a Map', new Map()],
		['a Uint8Array', new Uint8Array(1)],
	])('%s as a node or as the children of a node', (_, value) => {
		expect(check(value)).toBe('INVALID_VALUE');
		expect(check({ value: { a: value } })).toBe('INVALID_VALUE');
	});

	test.each([NaN, Infinity, -Infinity])('the number %s', (value) => {
		expect(check(leaf(value))).toBe('INVALID_VALUE');
		expect(check(leaf([1, value]))).toBe('INVALID_VALUE');
		expect(check(leaf([{ n: value }]))).toBe('INVALID_VALUE');
		expect(check({ value: {}, meta: { n: value } })).toBe('INVALID_VALUE');
		expect(check({ value: value })).toBe('INVALID_VALUE');
	});

	test('undefined inside arrays, objects in leaves and meta', () => {
		expect(check(leaf([undefined]))).toBe('INVALID_VALUE');
		expect(check(leaf([{ a: undefined }]))).toBe('INVALID_VALUE');
		expect(check({ value: {}, meta: { a: undefined } })).toBe('INVALID_VALUE');
	});

	test('undefined as a child node', () => {
		expect(check({ value: { a: undefined } })).toBe('INVALID_VALUE');
	});

	test.each([
		['a bigint', 10n],
		['a function', () => 1],
		['a symbol', Symbol('s')],
	])('%s anywhere', (_, value) => {
		expect(check(leaf(value))).toBe('INVALID_VALUE');
		expect(check(leaf([value]))).toBe('INVALID_VALUE');
		expect(check(leaf([{ x: value }]))).toBe('INVALID_VALUE');
		expect(check({ value: {}, meta: { x: value } })).toBe('INVALID_VALUE');
		expect(check({ value: { a: value } })).toBe('INVALID_VALUE');
	});

	test.each([null, 1, 'node', true, [{ value: 1 }]])('a node that is %j', (node) => {
		expect(check(node)).toBe('INVALID_VALUE');
		expect(check({ value: { child: node } })).toBe('INVALID_VALUE');
	});

	test.each([null, 1, 'meta', [1]])('meta that is %j', (meta) => {
		expect(check({ value: {}, meta })).toBe('INVALID_VALUE');
	});
});

describe('refuses reserved keys at any depth with INVALID_VALUE', () => {
	test.each(['__proto__', 'constructor', 'prototype'])('%s', (key) => {
		const own = (value: unknown) => JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value)}}`) as Record<string, unknown>;
		expect(Object.keys(own(1))).toEqual([key]);
		// As a child key of a node, at the root and deeper.
		expect(check({ value: own({ value: 1 }) })).toBe('INVALID_VALUE');
		expect(check({ value: { a: { value: { b: { value: own({ value: 1 }) } } } } })).toBe('INVALID_VALUE');
		// Inside objects in leaves.
		expect(check(leaf([own(1)]))).toBe('INVALID_VALUE');
		expect(check(leaf([{ a: [{ b: own(1) }] }]))).toBe('INVALID_VALUE');
		// Inside meta.
		expect(check({ value: {}, meta: own(1) })).toBe('INVALID_VALUE');
		expect(check({ value: {}, meta: { a: { b: own(1) } } })).toBe('INVALID_VALUE');
		expect(check({ value: { a: { value: 1, meta: { deep: own({}) } } } })).toBe('INVALID_VALUE');
	});

	test('as a node field', () => {
		expect(check(JSON.parse('{"value": 1, "__proto__": {"value": 2}}'))).toBe('INVALID_VALUE');
	});
});

describe('refuses invalid child keys with INVALID_VALUE', () => {
	test.each(['', 'a/b', '/'])('%j', (key) => {
		expect(check({ value: { [key]: { value: 1 } } })).toBe('INVALID_VALUE');
	});

	test('keys inside leaves may hold slashes (they are not paths)', () => {
		expect(check(leaf([{ 'a/b': 1, '': 2 }]))).toBeUndefined();
	});
});

describe('refuses text that is not well-formed UTF-16 (lone surrogates) with INVALID_VALUE', () => {
	test.each([
		['a leaf string', leaf('a\uD800b')],
		['a string inside an array leaf', leaf(['ok', '\uDC00'])],
		['a string inside an object leaf', leaf([{ t: 'x\uDBFF' }])],
		['a key inside a leaf', leaf([{ ['k\uDC00']: 1 }])],
		['a child key', { value: { ['k\uDC00']: { value: 1 } } }],
		['a meta string', { value: 1, meta: { by: '\uD800' } }],
		['a meta key', { value: 1, meta: { ['\uDFFF']: 1 } }],
	])('%s', (_name, node) => {
		expect(check(node)).toBe('INVALID_VALUE');
	});

	test('surrogate pairs pass', () => {
		expect(check({ value: { ['\u{1F600}']: { value: 'smile \u{1F600}' } }, meta: { by: '\u{1F600}' } })).toBeUndefined();
	});
});

describe('refuses unexpected node fields with INVALID_VALUE', () => {
	test.each([
		['at the root', { value: {}, extra: 1 }],
		['on a child', { value: { a: { value: 1, children: {} } } }],
		['a misspelled value', { valeu: 1 }],
		['a misspelled meta on a deep child', nodeifyWith({ a: { b: 1 } }, ['a', 'b'], { metta: {} })],
	])('%s', (_, node) => {
		expect(check(node)).toBe('INVALID_VALUE');
	});
});

function nodeifyWith(data: Record<string, unknown>, path: string[], extra: Record<string, unknown>): unknown {
	const root = nodeify(data as never) as { value: Record<string, { value: unknown }> };
	let current: { value: unknown } = root;
	for (const key of path) current = (current.value as Record<string, { value: unknown }>)[key]!;
	Object.assign(current, extra);
	return root;
}

describe('depth', () => {
	test('node trees as deep as maxDepth pass; one level more is TOO_DEEP', () => {
		for (const maxDepth of [0, 1, 2, 5, 20]) {
			expect(check(deepNode(maxDepth), { maxDepth, maxKeys: 1000 }), `maxDepth ${maxDepth}`).toBeUndefined();
			expect(check(deepNode(maxDepth + 1), { maxDepth, maxKeys: 1000 }), `maxDepth ${maxDepth}`).toBe('TOO_DEEP');
		}
	});

	test('nested arrays count towards the depth', () => {
		const nested = (levels: number) => {
			let value: unknown = 1;
			for (let i = 0; i < levels; i++) value = [value];
			return value;
		};
		// The root node is level 0, its array value level 1.
		expect(check({ value: nested(4) }, { maxDepth: 4, maxKeys: 1000 })).toBeUndefined();
		expect(check({ value: nested(5) }, { maxDepth: 4, maxKeys: 1000 })).toBe('TOO_DEEP');
	});

	test('objects inside leaves count towards the depth', () => {
		expect(check({ value: [{ a: { b: 1 } }] }, { maxDepth: 3, maxKeys: 1000 })).toBeUndefined();
		expect(check({ value: [{ a: { b: {} } }] }, { maxDepth: 3, maxKeys: 1000 })).toBe('TOO_DEEP');
	});

	test('meta counts towards the depth', () => {
		expect(check({ meta: { a: { b: 1 } } }, { maxDepth: 2, maxKeys: 1000 })).toBeUndefined();
		expect(check({ meta: { a: { b: {} } } }, { maxDepth: 2, maxKeys: 1000 })).toBe('TOO_DEEP');
	});

	test('a value nested far too deep is refused quickly and without a stack overflow', () => {
		let node: unknown = { value: 1 };
		for (let i = 0; i < 200_000; i++) node = { value: { k: node } };
		let array: unknown = 1;
		for (let i = 0; i < 200_000; i++) array = [array];
		expect(check(node, { maxDepth: 64, maxKeys: 1_000_000 })).toBe('TOO_DEEP');
		expect(check({ value: array }, { maxDepth: 64, maxKeys: 1_000_000 })).toBe('TOO_DEEP');
	});
});

describe('key count', () => {
	test('node children count; one more than maxKeys is TOO_MANY_KEYS', () => {
		const children = (count: number) => {
			const value: Record<string, unknown> = {};
			for (let i = 0; i < count; i++) value[`k${i}`] = { value: i };
			return { value };
		};
		expect(check(children(5), { maxDepth: 10, maxKeys: 5 })).toBeUndefined();
		expect(check(children(6), { maxDepth: 10, maxKeys: 5 })).toBe('TOO_MANY_KEYS');
	});

	test('array items count', () => {
		expect(check({ value: [1, 2, 3] }, { maxDepth: 10, maxKeys: 3 })).toBeUndefined();
		expect(check({ value: [1, 2, 3, 4] }, { maxDepth: 10, maxKeys: 3 })).toBe('TOO_MANY_KEYS');
	});

	test('keys are counted across the whole write', () => {
		// a, b, c and the two items of b's array: 5 keys.
		const node = { value: { a: { value: 1 }, b: { value: [1, 2] }, c: { value: { d: { value: 1 } } } } };
		expect(check(node, { maxDepth: 10, maxKeys: 6 })).toBeUndefined();
		expect(check(node, { maxDepth: 10, maxKeys: 5 })).toBe('TOO_MANY_KEYS');
	});

	test('meta keys count', () => {
		expect(check({ meta: { a: 1, b: { c: 1 } } }, { maxDepth: 10, maxKeys: 3 })).toBeUndefined();
		expect(check({ meta: { a: 1, b: { c: 1, d: 2 } } }, { maxDepth: 10, maxKeys: 3 })).toBe('TOO_MANY_KEYS');
	});

	test('a huge write is refused', () => {
		const value = new Array(1_000_000).fill(0);
		expect(check({ value }, { maxDepth: 10, maxKeys: 100_000 })).toBe('TOO_MANY_KEYS');
	});
});

describe('errors', () => {
	test('name the path of the problem', () => {
		try {
			validateNodeDiff({ value: { users: { value: { ada: { value: { born: { value: new Date(0) } } } } } } }, limits);
			expect.unreachable();
		} catch (error) {
			expect(error).toBeInstanceOf(SocketDBError);
			expect((error as SocketDBError).message).toContain('users/ada/born');
		}
	});

	test('use the path given as base', () => {
		try {
			validateNodeDiff({ value: { b: { value: NaN } } }, limits, 'a');
			expect.unreachable();
		} catch (error) {
			expect((error as SocketDBError).message).toContain('a/b');
		}
	});
});

describe('validateJson', () => {
	test('accepts JSON values', () => {
		for (const value of [null, 1, 'x', true, [], {}, { a: [1, { b: null }] }]) expect(codeOf(() => validateJson(value, limits))).toBeUndefined();
	});

	test('refuses what is not JSON', () => {
		for (const value of [undefined, NaN, 1n, new Date(0), { a: new Map() }, [Infinity], JSON.parse('{"__proto__": 1}')]) {
			expect(codeOf(() => validateJson(value, limits))).toBe('INVALID_VALUE');
		}
	});

	test('applies the limits', () => {
		expect(codeOf(() => validateJson({ a: { b: {} } }, { maxDepth: 1, maxKeys: 100 }))).toBe('TOO_DEEP');
		expect(codeOf(() => validateJson([1, 2, 3], { maxDepth: 10, maxKeys: 2 }))).toBe('TOO_MANY_KEYS');
	});
});

describe('assertRootObject', () => {
	test('passes objects', () => {
		for (const value of [{}, { a: { value: 1 } }, Object.create(null) as object]) expect(codeOf(() => assertRootObject(value))).toBeUndefined();
	});

	test('throws INVALID_VALUE for anything else', () => {
		for (const value of [undefined, null, 1, 'x', true, [], [{}]]) {
			expect(() => assertRootObject(value)).toThrow(new SocketDBError('INVALID_VALUE', 'the root of the tree must stay an object'));
			expect(codeOf(() => assertRootObject(value))).toBe('INVALID_VALUE');
		}
	});
});

describe('server values in a write', () => {
	test('are leaves of their own kind, allowed only when asked for; the result says whether there are any', () => {
		const write = { value: { n: { sv: { increment: 2 } }, t: { sv: 'timestamp', meta: { a: 1 } }, plain: { value: 1 } } };
		expect(validateNodeDiff(write, limits, '', true)).toBe(true);
		expect(validateNodeDiff(nodeify({ a: 1 }), limits, '', true)).toBe(false);
		expect(codeOf(() => validateNodeDiff(write, limits))).toBe('INVALID_VALUE');
	});

	test.each([
		['an unknown kind', { sv: 'now' }],
		['an increment by text', { sv: { increment: '1' } }],
		['an increment by infinity', { sv: { increment: Infinity } }],
		['an increment with more fields', { sv: { increment: 1, by: 2 } }],
		['a value beside it', { sv: 'timestamp', value: 1 }],
		['a null', { sv: null, value: 1 }],
	])('refuses %s', (_, node) => {
		expect(codeOf(() => validateNodeDiff({ value: { a: node } }, limits, '', true))).toBe('INVALID_VALUE');
	});
});

/** The refusal's code and text. */
function refusal(run: () => void): { code: string; message: string } | undefined {
	try {
		run();
	} catch (error) {
		if (error instanceof SocketDBError) return { code: error.code, message: error.message };
		throw error;
	}
	return undefined;
}

class Point {
	x = 1;
}

// The text is what the writer is told: each case pins what it names and where.
describe('refusals say what is wrong, and where', () => {
	const orphan = Object.create(Object.create(null) as object) as object;
	const json: [string, unknown, string][] = [
		['undefined', undefined, 'undefined is not a JSON value'],
		['NaN', NaN, 'NaN is not a JSON number'],
		['Infinity', -Infinity, '-Infinity is not a JSON number'],
		['a Date', new Date(0), 'Date is not a JSON value'],
		['an instance of a class', new Point(), 'Point is not a JSON value'],
		['an object whose prototype has no constructor', orphan, 'object is not a JSON value'],
		['a function', () => 1, 'function is not a JSON value'],
		['a bigint', 10n, 'bigint is not a JSON value'],
		['a symbol', Symbol('s'), 'symbol is not a JSON value'],
		['a number deep inside objects', { a: { b: NaN } }, 'NaN is not a JSON number at "a/b"'],
		['a number inside arrays', [1, [2, NaN]], 'NaN is not a JSON number at "[1][1]"'],
		['a reserved key', JSON.parse('{"a":{"__proto__":1}}'), 'key "__proto__" is reserved at "a"'],
		// Shown escaped, so the message itself stays well-formed.
		['a key that is a lone surrogate', { '\uD800': 1 }, 'the key "\\ud800" holds a lone surrogate (not well-formed UTF-16)'],
		['a string that is a lone surrogate', { a: 'x\uDC00' }, 'the string "x\\udc00" holds a lone surrogate (not well-formed UTF-16) at "a"'],
	];
	test.each(json)('JSON: %s', (_, value, message) => {
		expect(refusal(() => validateJson(value, limits))).toEqual({ code: 'INVALID_VALUE', message });
	});

	test('JSON: the limits, with their numbers', () => {
		expect(refusal(() => validateJson({ a: { b: {} } }, { maxDepth: 1, maxKeys: 100 }))).toEqual({ code: 'TOO_DEEP', message: 'a value may nest at most 1 levels' });
		expect(refusal(() => validateJson([1, 2, 3], { maxDepth: 10, maxKeys: 2 }))).toEqual({ code: 'TOO_MANY_KEYS', message: 'a write may hold at most 2 keys' });
	});

	const nodes: [string, unknown, string][] = [
		['not a map', 5, 'a node must be a map with "value" and optional "meta"'],
		['an array', [1], 'a node must be a map with "value" and optional "meta"'],
		['a Map', new Map(), 'a node must be a map with "value" and optional "meta"'],
		['a field besides value and meta', { value: 1, x: 2 }, 'unexpected node field "x"'],
		['a server value where none may be', { sv: 'timestamp' }, 'unexpected node field "sv"'],
		['meta that is not a map', { value: 1, meta: 'm' }, 'meta must be a map'],
		['meta that is an array', { value: 1, meta: [] }, 'meta must be a map'],
		['meta that is not JSON', { value: 1, meta: { at: new Date(0) } }, 'Date is not a JSON value at "at"'],
		['children in something other than a plain object', { value: new (class Bag {})() }, 'Bag is not a JSON value'],
		['an empty key', { value: { '': { value: 1 } } }, 'empty key'],
		['a key holding a slash', { value: { 'a/b': { value: 1 } } }, 'key "a/b" contains "/"'],
		['a child that is not a node', { value: { a: { value: { b: 5 } } } }, 'a node must be a map with "value" and optional "meta" at "a/b"'],
		['a leaf that is not JSON, below', { value: { a: { value: { b: { value: NaN } } } } }, 'NaN is not a JSON number at "a/b"'],
	];
	test.each(nodes)('node: %s', (_, node, message) => {
		expect(refusal(() => validateNodeDiff(node, limits))).toEqual({ code: 'INVALID_VALUE', message });
	});

	test('node: below the path given as base; server values where they may be', () => {
		expect(refusal(() => validateNodeDiff({ value: { b: { value: NaN } } }, limits, 'a'))).toEqual({ code: 'INVALID_VALUE', message: 'NaN is not a JSON number at "a/b"' });
		expect(refusal(() => validateNodeDiff({ value: { b: 5 } }, limits, 'a'))).toEqual({ code: 'INVALID_VALUE', message: 'a node must be a map with "value" and optional "meta" at "a/b"' });
		expect(refusal(() => validateNodeDiff({ sv: 'timestamp', value: 1 }, limits, 'at', true))).toEqual({ code: 'INVALID_VALUE', message: 'a server value node holds no value at "at"' });
		expect(refusal(() => validateNodeDiff({ sv: 'soon' }, limits, 'at', true))).toEqual({ code: 'INVALID_VALUE', message: `a server value at "at" is 'timestamp' or { increment: <number> }; increment() takes a finite number` });
		expect(validateNodeDiff({ value: { a: { sv: 'timestamp' } } }, limits, '', true)).toBe(true);
		expect(validateNodeDiff({ value: { a: { value: 1 } } }, limits, '', true)).toBe(false);
		expect(refusal(() => assertRootObject(5))).toEqual({ code: 'INVALID_VALUE', message: 'the root of the tree must stay an object' });
	});
});
