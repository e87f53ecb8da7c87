import { describe, expect, test } from 'vitest';
import { cloneNode, mergeNode, nodeify, type Node, type NodeDiff } from '@socketdb/core';
import { combineNodes, combineWaiting } from './write-combining';

/** A small random generator, seeded, so a failure can be replayed. */
function random(seed: number) {
	let state = seed;
	return () => {
		state = (state * 1103515245 + 12345) % 2 ** 31;
		return state / 2 ** 31;
	};
}

/** Random nodes over a few keys, with leaves, arrays, empty objects and meta, so that conflicts and no-ops come up. */
function randomNode(next: () => number, depth: number): NodeDiff {
	const node: NodeDiff = {};
	const pick = next();
	if (pick < 0.3 || depth === 0) node.value = [1, 'a', null, true, [1, 2]][Math.floor(next() * 5)] as never;
	else if (pick < 0.4) node.value = {};
	else if (pick < 0.9) {
		const children: Record<string, NodeDiff> = {};
		for (const key of ['a', 'b', 'c']) if (next() < 0.5) children[key] = randomNode(next, depth - 1);
		node.value = children;
	}
	if (next() < 0.3) node.meta = (next() < 0.5 ? { by: next() < 0.5 ? 'x' : { id: 1 } } : { at: 2 }) as never;
	return node;
}

function merged(data: Node, ...diffs: NodeDiff[]): Node {
	const target = cloneNode(data);
	for (const diff of diffs) mergeNode(target, cloneNode(diff));
	return JSON.parse(JSON.stringify(target)) as Node;
}

describe('combineNodes', () => {
	test('merging the combination has the effect of merging both, in order, over any data (seeded)', () => {
		let combined = 0;
		for (let seed = 1; seed <= 3000; seed++) {
			const next = random(seed);
			const [data, earlier, later] = [randomNode(next, 3) as Node, randomNode(next, 3), randomNode(next, 3)];
			const node = combineNodes(earlier, later);
			if (node === undefined) continue;
			combined++;
			expect(merged(data, node), `seed ${seed}`).toEqual(merged(data, earlier, later));
		}
		// Most pairs combine; the rest are objects over leaves.
		expect(combined).toBeGreaterThan(1500);
	});

	test('an object over a leaf does not combine; a leaf over an object replaces it; an empty object changes nothing', () => {
		expect(combineNodes({ value: 1 }, { value: { a: { value: 2 } } })).toBeUndefined();
		expect(combineNodes({ value: { a: { value: 1 } } }, { value: 2 })).toEqual({ value: 2 });
		expect(combineNodes({ value: 1 }, { value: {} })).toEqual({ value: 1 });
		expect(combineNodes({ meta: { by: 'x' } }, { meta: { by: { id: 1 } } })).toBeUndefined();
	});

	test('keys such as __proto__ stay plain keys', () => {
		const earlier = JSON.parse('{"value":{"__proto__":{"value":1}}}') as NodeDiff;
		const later = JSON.parse('{"value":{"__proto__":{"value":2},"b":{"value":3}}}') as NodeDiff;
		const node = combineNodes(earlier, later)!;
		expect(Object.getPrototypeOf(node.value)).toBe(Object.prototype);
		expect(Object.keys(node.value as object)).toEqual(['__proto__', 'b']);
		expect(JSON.stringify(node)).toBe('{"value":{"__proto__":{"value":2},"b":{"value":3}}}');
	});
});

describe('combineWaiting', () => {
	type W = { name: string; path: string | undefined; node: NodeDiff | undefined };
	const set = (name: string, path: string, value: unknown): W => ({ name, path, node: nodeify(value as never) });
	/** A write that does not combine: another kind, or a set with server values. */
	const other = (name: string): W => ({ name, path: undefined, node: undefined });
	function carried(waiting: W[]): string[] {
		const pairs: string[] = [];
		combineWaiting(waiting, (earlier, later) => pairs.push(`${earlier.name}>${later.name}`));
		return pairs;
	}

	test('a set is carried by the latest set to its path, across sets of unrelated paths', () => {
		const waiting = [set('a1', 'users/1', { n: 1, x: 1 }), set('b', 'users/2', 1), set('a2', 'users/1', { n: 2 }), set('a3', 'users/1', { n: 3 })];
		expect(carried(waiting)).toEqual(['a1>a2', 'a2>a3']);
		expect(waiting[3]!.node).toEqual(nodeify({ n: 3, x: 1 }));
	});

	test('a write to an ancestor or a descendant of the path, or another kind of write, ends the run', () => {
		expect(carried([set('a', 'users/1', 1), set('m', 'users', { 1: 5 }), set('b', 'users/1', 2)])).toEqual([]);
		expect(carried([set('a', 'users', { x: 1 }), set('m', 'users/1/name', 'n'), set('b', 'users', { y: 1 })])).toEqual([]);
		expect(carried([set('a', 'users/1', 1), set('m', '', { other: 1 }), set('b', 'users/1', 2)])).toEqual([]);
		expect(carried([set('a', 'users/1', 1), other('d'), set('b', 'users/1', 2)])).toEqual([]);
		// Unrelated paths that share a prefix of characters, not of segments, do not end it.
		expect(carried([set('a', 'users/1', 1), set('m', 'users/10', 1), set('b', 'users/1', 2)])).toEqual(['a>b']);
	});
});
