import { cloneNode, mergeNode, nodeify, type Node, type NodeDiff } from '@socketdb/core';
import { freeze } from 'immer';
import { describe, expect, test } from 'vitest';
import { seededRandom, type Random } from '../../test/helpers/random';
import { emptyNode, mergePersistent, removeNode, updateAt } from './persistent-tree';

const KEYS = ['a', 'b', 'c'];

function randomData(random: Random, depth = 0): unknown {
	switch (random.int(depth >= 2 ? 4 : 6)) {
		case 0:
			return random.int(3);
		case 1:
			return random.pick(['x', 'y']);
		case 2:
			return [random.int(2)];
		case 3:
			return null;
		default: {
			const object: Record<string, unknown> = {};
			for (let i = random.int(3); i >= 0; i--) object[random.pick(KEYS)] = randomData(random, depth + 1);
			return object;
		}
	}
}

function randomDiff(random: Random): NodeDiff {
	const diff = nodeify(randomData(random) as never) as NodeDiff;
	if (random.chance(0.3)) diff.meta = { tag: random.pick(['m', 'n']), nested: { n: random.int(2) } };
	if (random.chance(0.1)) diff.value = {};
	return diff;
}

function expectDeeplyFrozen(value: unknown): void {
	if (typeof value !== 'object' || value === null) return;
	expect(Object.isFrozen(value)).toBe(true);
	for (const child of Object.values(value)) expectDeeplyFrozen(child);
}

/** Every child of `after` that `applied` does not mention is the very object it was in `before`. */
function expectSharedWhereUnchanged(before: Node, after: Node, applied: NodeDiff | undefined): void {
	if (applied === undefined) return expect(after).toBe(before);
	const beforeChildren = before.value as Record<string, Node>;
	const afterChildren = after.value as Record<string, Node>;
	if (typeof beforeChildren !== 'object' || beforeChildren === null || typeof afterChildren !== 'object' || afterChildren === null) return;
	const changed = (applied.value ?? {}) as Record<string, NodeDiff>;
	for (const key of Object.keys(afterChildren)) {
		if (beforeChildren[key] === undefined) continue;
		if (changed[key] === undefined) expect(afterChildren[key]).toBe(beforeChildren[key]);
		else expectSharedWhereUnchanged(beforeChildren[key]!, afterChildren[key]!, changed[key]);
	}
}

describe('mergePersistent', () => {
	for (const seed of [1, 2, 3, 4]) {
		test(`matches mergeNode and shares what did not change (seed ${seed})`, () => {
			const random = seededRandom(seed);
			for (let round = 0; round < 300; round++) {
				const base = freeze(mergePersistent(emptyNode(), randomDiff(random))!, true);
				const snapshot = cloneNode(base);
				const diff = randomDiff(random);
				const mutable = cloneNode(base);
				const applied = mergeNode(mutable, diff);
				const result = mergePersistent(base, diff)!;
				expect(cloneNode(result)).toEqual(cloneNode(mutable));
				expect(cloneNode(base)).toEqual(snapshot);
				expectDeeplyFrozen(result);
				expectSharedWhereUnchanged(base, result, applied);
			}
		});
	}
});

describe('mergePersistent on a missing node', () => {
	test('creates the node only when the diff changes something', () => {
		expect(mergePersistent(undefined, { value: {} })).toBeUndefined();
		expect(mergePersistent(undefined, { value: { a: { value: {} } } })).toBeUndefined();
		expect(cloneNode(mergePersistent(undefined, { value: {}, meta: { m: 1 } })!)).toEqual({ value: {}, meta: { m: 1 } });
		expect(cloneNode(mergePersistent(undefined, { value: 5 })!)).toEqual({ value: 5 });
	});
});

describe('updateAt', () => {
	test('copies only the path to the change and removes with removeNode', () => {
		const root = mergePersistent(emptyNode(), nodeify({ a: { b: 1 }, c: { d: 2 } }) as NodeDiff)!;
		const changed = updateAt(root, ['a', 'b'], () => freeze({ value: 5 }));
		expect((changed.value as Record<string, Node>)['c']).toBe((root.value as Record<string, Node>)['c']);
		expect(cloneNode(changed)).toEqual(nodeify({ a: { b: 5 }, c: { d: 2 } }));
		const removed = updateAt(changed, ['c'], removeNode);
		expect(cloneNode(removed)).toEqual(nodeify({ a: { b: 5 } }));
		expect(updateAt(removed, ['x', 'y'], removeNode)).toBe(removed);
		expectDeeplyFrozen(removed);
	});
});
