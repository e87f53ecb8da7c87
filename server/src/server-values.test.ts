import { createStore, holdsServerValues, nodeify, type Node, type NodeDiff } from '@socketdb/core';
import { describe, expect, test } from 'vitest';
import { keepIncrements, resolveIncrements, resolveServerValues, resolveTimestamps } from './server-values';

const inc = (delta: number, meta?: object): NodeDiff => ({ sv: { increment: delta }, ...(meta === undefined ? {} : { meta }) }) as NodeDiff;
const stamp = { sv: 'timestamp' } as NodeDiff;

function storeWith(data: Record<string, unknown>) {
	const store = createStore();
	store.put(nodeify(data as never) as Node);
	return store;
}

describe('server values in a write', () => {
	test('are found wherever they are', () => {
		expect(holdsServerValues(nodeify({ a: { b: 1 } }))).toBe(false);
		expect(holdsServerValues({ value: { a: { value: { b: inc(1) } } } })).toBe(true);
		expect(holdsServerValues(stamp)).toBe(true);
	});

	test('timestamps are filled in, increments stay; parts without server values are shared, the write is left alone', () => {
		const untouched = { value: { x: { value: 1 } } };
		const write: NodeDiff = { value: { a: { value: { at: stamp, n: inc(2) } }, other: untouched } };
		const resolved = resolveTimestamps(write, 1234);
		expect(resolved).toEqual({ value: { a: { value: { at: { value: 1234 }, n: inc(2) } }, other: untouched } });
		expect((resolved.value as Record<string, unknown>)['other']).toBe(untouched);
		expect(write).toEqual({ value: { a: { value: { at: stamp, n: inc(2) } }, other: untouched } });
	});

	test('increments count from the number the store holds, or start from the delta; meta stays', () => {
		const store = storeWith({ n: 5, s: 'text', o: { deep: 1 } });
		const write: NodeDiff = { value: { n: inc(2, { by: 'me' }), s: inc(1), o: inc(3), missing: inc(-1) } };
		expect(resolveIncrements(write, store)).toEqual({ value: { n: { value: 7, meta: { by: 'me' } }, s: { value: 1 }, o: { value: 3 }, missing: { value: -1 } } });
	});

	test('hooks see increments filled in ahead; where they leave the previewed number, the increment stands, elsewhere their value', () => {
		const store = storeWith({ a: 1, b: 1 });
		const { diff, increments } = resolveServerValues({ value: { a: inc(1), b: inc(1), t: stamp } }, store, 99);
		expect(diff).toEqual({ value: { a: { value: 2 }, b: { value: 2 }, t: { value: 99 } } });
		const decided: NodeDiff = { value: { a: { value: 2 }, b: { value: 50 }, t: { value: 99 } } };
		expect(keepIncrements(decided, increments)).toEqual({ value: { a: inc(1), b: { value: 50 }, t: { value: 99 } } });
		// The store moved on meanwhile: the increment counts from where it is when applied.
		store.put(nodeify({ a: 10 }) as Node);
		expect(resolveIncrements(keepIncrements(decided, increments), store)).toEqual({ value: { a: { value: 11 }, b: { value: 50 }, t: { value: 99 } } });
	});

	test('a hook that dropped the path of an increment: nothing to put back', () => {
		const store = storeWith({});
		const { increments } = resolveServerValues({ value: { a: inc(1) } }, store, 0);
		expect(keepIncrements({ value: { other: { value: 1 } } }, increments)).toEqual({ value: { other: { value: 1 } } });
	});
});
