import { createRecord, nodeify, type Node, type NodeDiff } from '@socketdb/core';
import type { Random } from './random';
import { childrenOf, type TreeNode } from '../../client/src/persistent-tree';

/*
 * For the client's unit tests of trees: a tree node as a core node, and random data and diffs
 * over a few keys, so that random writes collide often.
 */

/** A tree node as a core node (children in objects), to compare with core's functions. */
export function toNode(node: TreeNode): Node {
	const children = childrenOf(node);
	let value: unknown = node.value;
	if (children !== undefined) {
		const record = createRecord<Node>();
		for (const [key, child] of children) record[key] = toNode(child);
		value = record;
	}
	return node.meta === undefined ? { value } : { value, meta: node.meta };
}

export const TREE_KEYS = ['a', 'b', 'c'];

/** Random JSON over TREE_KEYS, two levels deep at most; `leaf` is one of its leaf values. */
export function randomData(random: Random, leaf: unknown, depth = 0): unknown {
	switch (random.int(depth >= 2 ? 4 : 6)) {
		case 0:
			return random.int(3);
		case 1:
			return random.pick(['x', 'y']);
		case 2:
			return [random.int(2)];
		case 3:
			return leaf;
		default: {
			const object: Record<string, unknown> = {};
			for (let i = random.int(3); i >= 0; i--) object[random.pick(TREE_KEYS)] = randomData(random, leaf, depth + 1);
			return object;
		}
	}
}

/** A random diff of `randomData`, with meta (`meta()`) now and then and an empty object now and then. */
export function randomDiff(random: Random, leaf: unknown, meta: () => NodeDiff['meta'], chanceOfMeta: number): NodeDiff {
	const diff = nodeify(randomData(random, leaf) as never) as NodeDiff;
	if (random.chance(chanceOfMeta)) diff.meta = meta();
	if (random.chance(0.1)) diff.value = {};
	return diff;
}
