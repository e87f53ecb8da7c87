import { cloneNode, mergeNode, nodeify, type Node, type NodeDiff } from '@socketdb/core';
import { describe, expect, test } from 'vitest';
import { seededRandom, type Random } from '../../test/helpers/random';
import { randomDiff as randomTreeDiff, toNode } from '../../test/helpers/random-tree';
import { childOf, childrenOf, emptyNode, fromNode, mergePersistent, removeNode, updateAt, type TreeNode } from './persistent-tree';


const leaf = (value: unknown): TreeNode => ({ value: Object.freeze(value), meta: undefined, data: undefined });
const randomDiff = (random: Random) => randomTreeDiff(random, null, () => ({ tag: random.pick(['m', 'n']), nested: { n: random.int(2) } }), 0.3);

/**
 * Every meta and leaf value in the tree is frozen: callbacks get them as they are. Nodes and
 * children Maps are never handed out (callbacks get `Mirror.dataOf`'s frozen copies).
 */
function expectValuesFrozen(node: TreeNode): void {
	expectJsonFrozen(node.meta);
	const children = childrenOf(node);
	if (children === undefined) return expectJsonFrozen(node.value);
	for (const child of children.values()) expectValuesFrozen(child);
}

function expectJsonFrozen(value: unknown): void {
	if (typeof value !== 'object' || value === null) return;
	expect(Object.isFrozen(value)).toBe(true);
	for (const child of Object.values(value)) expectJsonFrozen(child);
}

/** Every child of `after` that `applied` does not mention is the very object it was in `before`. */
function expectSharedWhereUnchanged(before: TreeNode, after: TreeNode, applied: NodeDiff | undefined): void {
	if (applied === undefined) return expect(after).toBe(before);
	const beforeChildren = childrenOf(before);
	const afterChildren = childrenOf(after);
	if (beforeChildren === undefined || afterChildren === undefined) return;
	const changed = (applied.value ?? {}) as Record<string, NodeDiff>;
	for (const [key, child] of afterChildren) {
		const previous = beforeChildren.get(key);
		if (previous === undefined) continue;
		if (changed[key] === undefined) expect(child).toBe(previous);
		else expectSharedWhereUnchanged(previous, child, changed[key]);
	}
}

describe('mergePersistent', () => {
	for (const seed of [1, 2, 3, 4]) {
		test(`matches mergeNode and shares what did not change (seed ${seed})`, () => {
			const random = seededRandom(seed);
			for (let round = 0; round < 300; round++) {
				const base = mergePersistent(emptyNode(), randomDiff(random))!;
				const snapshot = toNode(base);
				const diff = randomDiff(random);
				const mutable = cloneNode(toNode(base));
				const applied = mergeNode(mutable, diff);
				const result = mergePersistent(base, diff)!;
				expect(toNode(result)).toEqual(cloneNode(mutable));
				expect(toNode(base)).toEqual(snapshot);
				expectValuesFrozen(result);
				expectSharedWhereUnchanged(base, result, applied);
			}
		});
	}
});

describe('mergePersistent on a missing node', () => {
	test('creates the node only when the diff changes something', () => {
		expect(mergePersistent(undefined, { value: {} })).toBeUndefined();
		expect(mergePersistent(undefined, { value: { a: { value: {} } } })).toBeUndefined();
		expect(toNode(mergePersistent(undefined, { value: {}, meta: { m: 1 } })!)).toEqual({ value: {}, meta: { m: 1 } });
		expect(toNode(mergePersistent(undefined, { value: 5 })!)).toEqual({ value: 5 });
	});
});

describe('updateAt', () => {
	test('copies only the path to the change and removes with removeNode', () => {
		const root = mergePersistent(emptyNode(), nodeify({ a: { b: 1 }, c: { d: 2 } }) as NodeDiff)!;
		const changed = updateAt(root, ['a', 'b'], () => leaf(5));
		expect(childOf(changed, 'c')).toBe(childOf(root, 'c'));
		expect(toNode(changed)).toEqual(nodeify({ a: { b: 5 }, c: { d: 2 } }));
		const removed = updateAt(changed, ['c'], removeNode);
		expect(toNode(removed)).toEqual(nodeify({ a: { b: 5 } }));
		expect(updateAt(removed, ['x', 'y'], removeNode)).toBe(removed);
		expectValuesFrozen(removed);
	});
});

describe('fromNode', () => {
	test('builds the tree of a node, reusing every equal part of the current one', () => {
		const current = fromNode(nodeify({ users: { 1: { name: 'Ada' }, 2: { name: 'Bob' } }, list: [1, 2] }) as Node);
		expect(toNode(current)).toEqual(nodeify({ users: { 1: { name: 'Ada' }, 2: { name: 'Bob' } }, list: [1, 2] }));
		expectValuesFrozen(current);
		expect(fromNode(nodeify({ users: { 1: { name: 'Ada' }, 2: { name: 'Bob' } }, list: [1, 2] }) as Node, current)).toBe(current);
		const next = fromNode(nodeify({ users: { 1: { name: 'Ada' }, 2: { name: 'Bea' } }, list: [1, 2] }) as Node, current);
		expect(childOf(childOf(next, 'users'), '1')).toBe(childOf(childOf(current, 'users'), '1'));
		expect(childOf(next, 'list')).toBe(childOf(current, 'list'));
		expect(toNode(childOf(childOf(next, 'users'), '2')!)).toEqual(nodeify({ name: 'Bea' }));
	});

	test('a key gone or meta changed makes a new node', () => {
		const current = fromNode({ value: { a: { value: 1 }, b: { value: 2 } }, meta: { m: 1 } });
		expect(fromNode({ value: { a: { value: 1 } }, meta: { m: 1 } }, current)).not.toBe(current);
		const remeta = fromNode({ value: { a: { value: 1 }, b: { value: 2 } }, meta: { m: 2 } }, current);
		expect(remeta).not.toBe(current);
		expect(childOf(remeta, 'a')).toBe(childOf(current, 'a'));
		expect(remeta.meta).toEqual({ m: 2 });
	});
});

describe('wide maps with numeric keys', () => {
	test('updating one child of many keeps all the others', () => {
		let tree = emptyNode();
		for (let i = 0; i < 200; i++) tree = updateAt(tree, ['users', String(9800 + i)], () => leaf(i));
		const before = tree;
		tree = updateAt(tree, ['users', '9850'], () => leaf('x'));
		const users = childrenOf(childOf(tree, 'users'))!;
		expect(users.size).toBe(200);
		expect(users.get('9850')!.value).toBe('x');
		for (const [key, child] of childrenOf(childOf(before, 'users'))!) if (key !== '9850') expect(users.get(key)).toBe(child);
	});
});
