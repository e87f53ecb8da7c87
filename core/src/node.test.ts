import { describe, expect, test } from 'vitest';
import { nodeify, unwrap } from './node';
import { increment, serverTimestamp } from './server-values';

describe('nodeify', () => {
	test('objects hold child nodes, everything else is a leaf; unwrap turns it back', () => {
		const data = { a: { b: [1, { c: 2 }] }, d: null, e: 'text' };
		expect(nodeify(data)).toEqual({ value: { a: { value: { b: { value: [1, { c: 2 }] } } }, d: { value: null }, e: { value: 'text' } } });
		expect(unwrap(nodeify(data))).toEqual(data);
	});

	test('a server value becomes a leaf the server fills in', () => {
		expect(nodeify({ n: increment(2), t: serverTimestamp() } as never)).toEqual({ value: { n: { sv: { increment: 2 } }, t: { sv: 'timestamp' } } });
	});
});
