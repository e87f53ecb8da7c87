import { describe, expect, test } from 'vitest';
import { compareKeys, keyProblem } from './keys';

describe('keyProblem', () => {
	test('accepts ordinary keys, digits, spaces and surrogate pairs', () => {
		for (const key of ['eggs', '42', 'a b', 'é', '😀', 'x😀y']) expect(keyProblem(key), key).toBeNull();
	});

	test('refuses empty keys, slashes, reserved keys and lone surrogates', () => {
		expect(keyProblem('')).toBe('empty key');
		expect(keyProblem('a/b')).toBe('key "a/b" contains "/"');
		for (const key of ['__proto__', 'constructor', 'prototype']) expect(keyProblem(key)).toBe(`key "${key}" is reserved`);
		for (const key of ['\uD800', 'a\uDBFF', '\uDC00b', '\uDC00\uD800']) expect(keyProblem(key), JSON.stringify(key)).toBe('key contains a lone UTF-16 surrogate');
	});
});

describe('compareKeys', () => {
	test('orders numbers inside keys by value', () => {
		expect(['item10', 'item2', 'item1', 'item20', '10', '9'].sort(compareKeys)).toEqual(['9', '10', 'item1', 'item2', 'item10', 'item20']);
	});

	test('is a total order: keys the collator deems equal still sort the same way every time', () => {
		const composed = '\u00e9';
		const decomposed = 'e\u0301';
		expect([composed, decomposed].sort(compareKeys)).toEqual([decomposed, composed].sort(compareKeys));
		expect(compareKeys(composed, decomposed)).toBe(-compareKeys(decomposed, composed));
		expect(compareKeys('a', 'a')).toBe(0);
	});
});
