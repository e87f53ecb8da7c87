import { describe, expect, test } from 'vitest';
import { SocketDBError } from '@socketdb/core';
import { toJsonValue } from './json-value';

function codeOf(run: () => unknown): string | undefined {
	try {
		run();
	} catch (error) {
		return error instanceof SocketDBError ? error.code : `not a SocketDBError: ${String(error)}`;
	}
	return undefined;
}

/** What JSON.stringify makes of a value, read back. */
const viaJson = (value: unknown): unknown => {
	const text = JSON.stringify(value);
	return text === undefined ? undefined : JSON.parse(text);
};

describe('toJsonValue mirrors JSON.stringify', () => {
	test.each([
		['primitives', ['a', 1, -2.5, true, false, null]],
		['nested data', { a: { b: [1, { c: 'd' }], e: null }, f: [] }],
		['toJSON (dates)', { when: new Date(Date.UTC(2020, 0, 2, 3, 4, 5)) }],
		['custom toJSON', { x: { toJSON: (): unknown => ({ replaced: [1, 2] }) } }],
		['toJSON returning undefined', { x: { toJSON: (): unknown => undefined }, list: [{ toJSON: (): unknown => undefined }] }],
		['undefined in objects', { a: undefined, b: 1, c: { d: undefined } }],
		['undefined in arrays', [undefined, 1, undefined]],
		['functions and symbols', { f: () => 1, s: Symbol('s'), list: [() => 1, Symbol('t')] }],
		['non-finite numbers', { nan: NaN, inf: Infinity, ninf: -Infinity, list: [NaN, Infinity] }],
		['a Map and a Set (no own keys)', { map: new Map([['a', 1]]), set: new Set([1]) }],
		['symbol keys (ignored)', { [Symbol('k')]: 1, visible: 2 }],
		['a class instance (own enumerable keys)', new (class Point {
			x = 1;
			y = 2;
			get sum() {
				return this.x + this.y;
			}
		})()],
		['shared references that are not cycles', (() => {
			const shared = { s: 1 };
			return { a: shared, b: shared, list: [shared, shared] };
		})()],
	])('%s', (_, value) => {
		expect(toJsonValue(value)).toEqual(viaJson(value));
	});

	test('a date becomes its ISO string', () => {
		expect(toJsonValue(new Date(Date.UTC(2020, 0, 1)))).toBe('2020-01-01T00:00:00.000Z');
	});

	test('undefined is dropped from objects', () => {
		const result = toJsonValue({ a: undefined, b: 1 }) as Record<string, unknown>;
		expect(Object.keys(result)).toEqual(['b']);
	});

	test('undefined and functions become null in arrays', () => {
		expect(toJsonValue([undefined, () => 1, Symbol('x'), 2])).toEqual([null, null, null, 2]);
	});

	test('holes in arrays become null', () => {
		// eslint-disable-next-line no-sparse-arrays -- a hole in an array is what this test is about
		const sparse = [, 1, , 2];
		const result = toJsonValue(sparse) as unknown[];
		expect(result).toHaveLength(4);
		expect(result[0]).toBeNull();
		expect(result[2]).toBeNull();
		expect(result).toEqual(viaJson(sparse));
	});

	test('NaN and infinities become null', () => {
		expect(toJsonValue(NaN)).toBeNull();
		expect(toJsonValue(Infinity)).toBeNull();
		expect(toJsonValue({ a: -Infinity })).toEqual({ a: null });
	});

	test('undefined, functions and symbols alone become undefined', () => {
		expect(toJsonValue(undefined)).toBeUndefined();
		expect(toJsonValue(() => 1)).toBeUndefined();
		expect(toJsonValue(Symbol('s'))).toBeUndefined();
	});

	test('boxed primitives unwrap like JSON.stringify does', () => {
		const boxed = { n: new Number(1), s: new String('s'), b: new Boolean(false) };
		expect(toJsonValue(boxed)).toEqual(viaJson(boxed));
		expect(toJsonValue(boxed)).toEqual({ n: 1, s: 's', b: false });
	});

	test('the result holds only plain objects and arrays', () => {
		const result = toJsonValue({ map: new Map(), date: new Date(0), nested: { list: [new Set()] } }) as Record<string, unknown>;
		expect(Object.getPrototypeOf(result['map'])).toBe(Object.prototype);
		expect(typeof result['date']).toBe('string');
		expect(Object.getPrototypeOf(((result['nested'] as Record<string, unknown>)['list'] as unknown[])[0])).toBe(Object.prototype);
	});
});

describe('toJsonValue refuses with INVALID_VALUE', () => {
	test('bigints, anywhere', () => {
		expect(codeOf(() => toJsonValue(1n))).toBe('INVALID_VALUE');
		expect(codeOf(() => toJsonValue({ a: { b: 1n } }))).toBe('INVALID_VALUE');
		expect(codeOf(() => toJsonValue([1, [2n]]))).toBe('INVALID_VALUE');
	});

	test('cycles', () => {
		const object: Record<string, unknown> = { a: 1 };
		object['self'] = object;
		expect(codeOf(() => toJsonValue(object))).toBe('INVALID_VALUE');
		const list: unknown[] = [1];
		list.push({ back: list });
		expect(codeOf(() => toJsonValue(list))).toBe('INVALID_VALUE');
		const deep: Record<string, unknown> = {};
		deep['a'] = { b: { c: { d: deep } } };
		expect(codeOf(() => toJsonValue({ root: deep }))).toBe('INVALID_VALUE');
	});

	test.each(['__proto__', 'constructor', 'prototype'])('the reserved key %s, at any depth', (key) => {
		const own = JSON.parse(`{${JSON.stringify(key)}: 1}`) as Record<string, unknown>;
		expect(Object.keys(own)).toEqual([key]);
		expect(codeOf(() => toJsonValue(own))).toBe('INVALID_VALUE');
		expect(codeOf(() => toJsonValue({ a: { b: own } }))).toBe('INVALID_VALUE');
		expect(codeOf(() => toJsonValue([{ a: [own] }]))).toBe('INVALID_VALUE');
	});

	test('a reserved key produced by toJSON', () => {
		expect(codeOf(() => toJsonValue({ x: { toJSON: (): unknown => JSON.parse('{"__proto__": 1}') } }))).toBe('INVALID_VALUE');
	});
});

describe('toJsonValue copies', () => {
	test('returns a deep copy: no object of the input is reused', () => {
		const input = { a: { b: [1, { c: 2 }] }, d: [[3]] };
		const result = toJsonValue(input) as typeof input;
		expect(result).toEqual(input);
		expect(result).not.toBe(input);
		expect(result.a).not.toBe(input.a);
		expect(result.a.b).not.toBe(input.a.b);
		expect(result.a.b[1]).not.toBe(input.a.b[1]);
		expect(result.d[0]).not.toBe(input.d[0]);
	});

	test('later changes to the input do not reach the copy', () => {
		const input = { a: { b: [1, { c: 2 }] } };
		const result = toJsonValue(input);
		input.a.b.push(3);
		(input.a.b[1] as { c: number }).c = 99;
		input.a = { b: [] };
		expect(result).toEqual({ a: { b: [1, { c: 2 }] } });
	});

	test('does not change the input', () => {
		const input = { a: undefined, b: NaN, c: [undefined], d: new Date(0) };
		toJsonValue(input);
		expect(Object.keys(input)).toEqual(['a', 'b', 'c', 'd']);
		expect(input.c).toEqual([undefined]);
		expect(input.d).toBeInstanceOf(Date);
	});
});
