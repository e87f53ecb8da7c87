import { describe, expect, test } from 'vitest';
import { parseAs, sameValue, textOfValue, typeOfValue } from './value-types';

describe('typeOfValue and textOfValue', () => {
	test('a value is shown as its own type, a string without quotes', () => {
		const cases: [unknown, string, string][] = [
			['02134', 'string', '02134'],
			['', 'string', ''],
			[12345, 'number', '12345'],
			[-1.5, 'number', '-1.5'],
			[false, 'boolean', 'false'],
			[null, 'null', ''],
			[undefined, 'null', ''],
			[[1, 'two'], 'json', '[1,"two"]'],
			[{}, 'json', '{}'],
		];
		for (const [value, type, text] of cases) expect([typeOfValue(value), textOfValue(value)], String(value)).toEqual([type, text]);
	});

	test('the text read back by the value\'s own type is the value', () => {
		for (const value of ['02134', ' padded ', '"quoted"', 0, 1e21, -0.25, true, false, null, [1, { a: 'b' }], {}]) {
			const parsed = parseAs(textOfValue(value), typeOfValue(value));
			expect(parsed.ok && sameValue(parsed.value, value), JSON.stringify(value)).toBe(true);
		}
	});
});

describe('parseAs', () => {
	test('a string is the text as is', () => {
		expect(parseAs('12345', 'string')).toEqual({ ok: true, value: '12345' });
		expect(parseAs('{"a":1}', 'string')).toEqual({ ok: true, value: '{"a":1}' });
	});

	test('a number must be a finite number', () => {
		expect(parseAs(' 42 ', 'number')).toEqual({ ok: true, value: 42 });
		expect(parseAs('1.5e3', 'number')).toEqual({ ok: true, value: 1500 });
		for (const text of ['', ' ', 'abc', '1,5', 'Infinity', 'NaN', '1e999']) expect(parseAs(text, 'number')).toEqual({ ok: false, error: `not a number: ${JSON.stringify(text)}` });
	});

	test('a boolean is true or false', () => {
		expect(parseAs('true', 'boolean')).toEqual({ ok: true, value: true });
		expect(parseAs(' false', 'boolean')).toEqual({ ok: true, value: false });
		expect(parseAs('yes', 'boolean')).toEqual({ ok: false, error: 'a boolean is true or false, not "yes"' });
	});

	test('null ignores the text; JSON must parse', () => {
		expect(parseAs('anything', 'null')).toEqual({ ok: true, value: null });
		expect(parseAs('{"a": [1]}', 'json')).toEqual({ ok: true, value: { a: [1] } });
		expect(parseAs('hello', 'json')).toEqual({ ok: false, error: 'not valid JSON (for text, choose string): "hello"' });
	});
});

describe('sameValue', () => {
	test('compares JSON values deeply, object keys in any order', () => {
		expect(sameValue({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
		expect(sameValue('1', 1)).toBe(false);
		expect(sameValue([1], { 0: 1 })).toBe(false);
		expect(sameValue({ a: 1 }, { a: 1, b: 2 })).toBe(false);
		expect(sameValue({ a: undefined }, { b: undefined })).toBe(false);
		expect(sameValue(null, {})).toBe(false);
	});
});
