import { createRecord, isObject, type Json, type LeafValue } from './json';
import { ServerValue } from './server-values';

/**
 * Data attached to a node beside its value, synced like values.
 * Extend it by declaration merging:
 *
 * @example
 * declare module '@socketdb/core' {
 *   interface Meta { updated: number }
 * }
 */
export interface Meta {
	// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SocketDB's contract: namespaces hold anything until augmented
	[namespace: string]: any;
}

/**
 * One position of the tree: objects hold child nodes under `value`, leaves hold the value itself.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped trees default to any, as in SocketDB
export type Node<Schema extends Json | LeafValue = any> = {
	meta?: Meta;
	value: Schema extends Json ? { [Key in keyof Schema]: Node<Schema[Key]> } : Schema;
};

/**
 * A change to the tree: like a node, but `value` may be absent (only meta changes),
 * and an empty object as value changes nothing.
 */
export type NodeDiff = {
	meta?: Meta;
	value?: unknown;
};

/** True for anything shaped like a node (an object with a defined `value`). */
export function isNode(value: unknown): value is Node {
	return isObject(value) && value['value'] !== undefined;
}

/**
 * Turns plain data into a node tree: objects become child maps, everything else a leaf.
 *
 * @example nodeify({ name: 'Ada' }) // { value: { name: { value: 'Ada' } } }
 */
export function nodeify<Schema extends Json | LeafValue>(data: Schema): Node<Schema> {
	if (!isObject(data)) return { value: data } as Node<Schema>;
	// A placeholder the server fills in (increment, serverTimestamp) is a leaf of its own kind.
	if (data instanceof ServerValue) return { sv: data.spec } as unknown as Node<Schema>;
	const children = createRecord<Node>();
	for (const key of Object.keys(data)) {
		const child = data[key];
		if (child === undefined) continue;
		children[key] = nodeify(child as Json | LeafValue);
	}
	return { value: children } as Node<Schema>;
}

/**
 * Turns a node tree back into plain data, dropping meta.
 *
 * @example unwrap({ value: { name: { value: 'Ada' } } }) // { name: 'Ada' }
 */
export function unwrap<Schema extends Json | LeafValue>(node: Node<Schema>): Schema {
	const value: unknown = node.value;
	if (!isObject(value)) return value as Schema;
	const data: Record<string, unknown> = {};
	for (const key of Object.keys(value)) {
		const child = value[key];
		if (isObject(child)) data[key] = unwrap(child as Node);
	}
	return data as Schema;
}

/** True when a node holds children rather than a leaf value. */
export function hasChildNodes(node: NodeDiff | undefined | null): node is { meta?: Meta; value: Record<string, Node> } {
	return node != null && isObject(node.value);
}

/**
 * Walks every node below `node`, calling `callback` once per path with the node there; the walk
 * stops as soon as the callback returns `true`. A node's children come in their key order,
 * the deeper levels after them (SocketDB's order).
 *
 * @example
 * traverseNode(nodeify({ a: { b: 1 } }), (path) => console.log(path)); // 'a', then 'a/b'
 */
export function traverseNode(node: Node, callback: (path: string, node: Node) => void | true): void {
	const stack: { node: Node; path: string }[] = [{ node, path: '' }];
	for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
		if (!hasChildNodes(current.node)) continue;
		const children = current.node.value;
		for (const key of Object.keys(children)) {
			const child = children[key]!;
			const path = current.path === '' ? key : `${current.path}/${key}`;
			if (callback(path, child) === true) return;
			if (hasChildNodes(child)) stack.push({ node: child, path });
		}
	}
}
