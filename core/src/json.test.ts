import { describe, expect, test } from 'vitest';
import { objectWith, withKey } from './json';

describe('objectWith', () => {
	test('makes a plain object with one own, enumerable key, as a literal would', () => {
		for (const key of ['name', '0', '5', '15', '16', '042', '150', '1023', '1024', '4294967294', '1e3', '-20', '__proto__', 'constructor']) {
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

describe('withKey', () => {
	test('adds the key to the object it is given and returns that object', () => {
		const object: Record<string, number> = { a: 1 };
		expect(withKey(object, '150', 2)).toBe(object);
		expect(object).toEqual({ a: 1, 150: 2 });
	});

	test('adds "__proto__" as an own key, leaving the prototype alone', () => {
		const object: Record<string, unknown> = objectWith('a', 1);
		expect(withKey(object, '__proto__', { polluted: true })).toBe(object);
		expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
		expect(Object.keys(object)).toEqual(['a', '__proto__']);
		expect(Object.getOwnPropertyDescriptor(object, '__proto__')?.value).toEqual({ polluted: true });
	});

	test('without an object, makes one as objectWith does', () => {
		const made = withKey<number>(undefined, '150', 2);
		expect(made).toEqual({ 150: 2 });
		expect(Object.keys(made)).toEqual(['150']);
		expect(Object.getOwnPropertyDescriptor(withKey<number>(undefined, '__proto__', 3), '__proto__')?.value).toBe(3);
	});
});
