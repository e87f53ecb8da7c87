import { describe, expect, test } from 'vitest';
import { isArrayIndex, objectWith } from './json';

describe('isArrayIndex', () => {
	test('holds for the keys V8 keeps as elements: canonical integers from 0 to 2^32 - 2', () => {
		for (const key of ['0', '7', '42', '150', '1023', '999999', '4294967294']) expect(isArrayIndex(key), key).toBe(true);
	});

	test('does not hold for names, signs, leading zeros, fractions or numbers past the last index', () => {
		for (const key of ['', 'a', 'u42', '42a', '-1', '+1', '042', '00', '1.5', '1e3', ' 1', '4294967295', '9999999999', '12345678901']) expect(isArrayIndex(key), key).toBe(false);
	});
});

describe('objectWith', () => {
	test('makes a plain object with one own, enumerable key, as a literal would', () => {
		for (const key of ['name', '0', '5', '150', '1023', '4294967294', '__proto__', 'constructor']) {
			const object = objectWith(key, { value: 1 });
			expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
			expect(Object.keys(object)).toEqual([key]);
			expect(object).toEqual({ [key]: { value: 1 } });
			expect(JSON.stringify(object)).toBe(JSON.stringify({ [key]: { value: 1 } }));
			expect(Object.getOwnPropertyDescriptor(object, key)).toEqual({ value: { value: 1 }, enumerable: true, writable: true, configurable: true });
		}
	});

	test('keys added later are own keys too, enumerated in the order a literal would give', () => {
		const object = objectWith('150', 'a');
		object['b'] = 'b';
		object['3'] = 'c';
		object['2000'] = 'd';
		expect(Object.keys(object)).toEqual(['3', '150', '2000', 'b']);
		expect(object).toEqual({ 150: 'a', b: 'b', 3: 'c', 2000: 'd' });
		delete object['150'];
		expect(Object.keys(object)).toEqual(['3', '2000', 'b']);
	});
});
