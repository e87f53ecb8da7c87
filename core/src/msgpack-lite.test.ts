import { describe, expect, test } from 'vitest';
import * as lite from './msgpack-lite';
import * as full from './msgpack';
import { randomNumbers as random } from '../../test/helpers/random';

// Seeded so a failure can be reproduced: the seed is part of the test name.

function randomValue(next: () => number, depth = 0): unknown {
	const kind = Math.floor(next() * (depth >= 2 ? 6 : 8));
	const ints = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53) + 1];
	switch (kind) {
		case 0:
			return null;
		case 1:
			return next() < 0.5;
		case 2:
			return ints[Math.floor(next() * ints.length)];
		case 3:
			return (next() - 0.5) * 1e6;
		case 4: {
			const lengths = depth === 0 ? [0, 5, 31, 32, 255, 256, 70000] : [0, 5, 31, 32, 255, 256];
			const length = lengths[Math.floor(next() * lengths.length)]!;
			const alphabet = ['a', 'é', '€', '😀', 'z', '/'];
			let text = '';
			for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
			return text;
		}
		case 5:
			return Math.floor(next() * 2 ** 31);
		case 6: {
			const length = [0, 3, 15, 16, depth === 0 ? 300 : 17][Math.floor(next() * 5)]!;
			return Array.from({ length }, () => randomValue(next, depth + 1));
		}
		default: {
			const object: Record<string, unknown> = {};
			const size = [0, 2, 15, 16, 40][Math.floor(next() * 5)]!;
			for (let i = 0; i < size; i++) object[`k${i}-${Math.floor(next() * 1000)}`] = randomValue(next, depth + 1);
			return object;
		}
	}
}

describe('the small codec speaks the same MessagePack as msgpackr', () => {
	for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
		test(`random values, seed ${seed}`, () => {
			const next = random(seed);
			for (let i = 0; i < 50; i++) {
				const value = randomValue(next);
				expect(full.unpackMultiple(lite.pack(value))).toEqual([value]);
				expect(lite.unpackMultiple(full.pack(value))).toEqual([value]);
			}
		});
	}

	test('several values back to back', () => {
		const bytes = new Uint8Array([...full.pack({ a: 1 }), ...full.pack([2, 'x']), ...full.pack(null)]);
		expect(lite.unpackMultiple(bytes)).toEqual([{ a: 1 }, [2, 'x'], null]);
	});

	test('a "__proto__" key stays an own property', () => {
		const decoded = lite.unpackMultiple(full.pack(JSON.parse('{"__proto__": {"polluted": true}}')))[0] as Record<string, unknown>;
		expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
		expect(Object.keys(decoded)).toEqual(['__proto__']);
		expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
	});

	test('truncated data throws', () => {
		const bytes = full.pack({ text: 'hello world' });
		expect(() => lite.unpackMultiple(bytes.subarray(0, bytes.length - 3))).toThrow(RangeError);
	});

	test('unsupported types throw', () => {
		expect(() => lite.unpackMultiple(new Uint8Array([0xc1]))).toThrow(TypeError);
	});
});

describe('hostile keys survive decoding so validation can refuse them', () => {
	test('msgpackr path keeps a "__proto__" key as an own property, at any depth', () => {
		const hostile = JSON.parse('{"a": [{"__proto__": {"x": 1}}], "__proto__": {"polluted": true}, "b": "__proto__"}');
		const [decoded] = full.unpackMultiple(full.pack(hostile)) as [Record<string, unknown>];
		expect(Object.keys(decoded)).toEqual(['a', '__proto__', 'b']);
		expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
		expect(Object.keys((decoded['a'] as Record<string, unknown>[])[0]!)).toEqual(['__proto__']);
		expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
	});

	test('frames without the text take the fast path and decode the same', () => {
		const value = { a: [1, { b: 'c' }], d: null };
		expect(full.unpackMultiple(full.pack(value))).toEqual([value]);
	});
});
