import { createRecord, type Meta, type Node } from '@socketdb/core';

/**
 * What one key holds: a leaf (`v` present) or an object node (no `v`), with the node's meta.
 * Object nodes are stored too, so that empty objects and meta on objects survive.
 */
export type Entry = { v?: unknown; m?: Meta };

/** A change not yet visible in LMDB: the entry written, or `null` for a removed key. */
export type Slot = { entry: Entry | null };

/** The node an entry stands for: a leaf, or an object node whose children are not read yet. */
export function nodeOf(entry: Entry): Node {
	const node: Node = 'v' in entry ? { value: entry.v } : { value: createRecord<Node>() };
	if (entry.m !== undefined) node.meta = entry.m;
	return node;
}

/** The child object node under `key`, made if the range scan has not reached its own key yet. */
export function childNode(node: Node, key: string): Node {
	const children = node.value as Record<string, Node>;
	let child = children[key];
	if (child === undefined) children[key] = child = { value: createRecord<Node>() };
	return child;
}
