import { cloneJson, isObject, leafEquals, type Meta, type Node, type NodeDiff } from '@socketdb/core';
import { deepFreeze } from './deep-freeze';

/**
 * The client's node tree, persistent: every change returns new nodes along what it changed
 * and the very same nodes everywhere else. Written by hand rather than with immer's produce,
 * whose proxies cost most of a client's time per update.
 *
 * Children live in Maps rather than in objects as in core's `Node`: keys are often numbers
 * (`users/42`), and V8 stores such keys as array elements, sparse ones in a dictionary that
 * takes ten times longer to copy than a Map of the same size. The tree never leaves the
 * client: callbacks get plain frozen data (see `Mirror.dataOf`), which an object node keeps in
 * its `data` slot once made. Nodes are read-only by type but not frozen, for that slot: keeping
 * the data in a WeakMap instead, with frozen nodes, cost a fifth of a client's time per received
 * update (bench/micro/client-receive.ts).
 */
export type TreeNode = {
	readonly value: Children | unknown;
	readonly meta: Meta | undefined;
	/** For object nodes, the frozen plain data callbacks get, made on first use (`Mirror.dataOf`). */
	data: unknown;
};

export type Children = ReadonlyMap<string, TreeNode>;

const EMPTY: Children = new Map();

/**
 * A copy of `children` (none: an empty Map). Entry by entry: `new Map(map)` goes through the
 * iterator protocol and allocates two objects per entry.
 */
function copyOf(children: Children | undefined): Map<string, TreeNode> {
	const copy = new Map<string, TreeNode>();
	children?.forEach((child, key) => copy.set(key, child));
	return copy;
}

/** The children of an object node; `undefined` for leaves and missing nodes. */
export function childrenOf(node: TreeNode | undefined): Children | undefined {
	return node !== undefined && node.value instanceof Map ? (node.value as Children) : undefined;
}

/** The child `key` of `node`, if both exist. */
export function childOf(node: TreeNode | undefined, key: string): TreeNode | undefined {
	return node !== undefined && node.value instanceof Map ? (node.value as Children).get(key) : undefined;
}

/** The node at `segments` below `node`, or `undefined`. */
export function nodeAt(node: TreeNode | undefined, segments: readonly string[]): TreeNode | undefined {
	for (const key of segments) node = childOf(node, key);
	return node;
}

/** A new empty object node. */
export const emptyNode = (): TreeNode => createNode(EMPTY, undefined);

/**
 * `node` with `diff` merged (SocketDB's rules, exactly as core's `mergeNode`), sharing every
 * part the diff did not change: `node` itself when nothing changed, and `undefined` for a
 * missing node the diff does not create.
 */
export function mergePersistent(node: TreeNode | undefined, diff: NodeDiff): TreeNode | undefined {
	const meta = isObject(diff.meta) ? mergeMeta(node?.meta, diff.meta) : node?.meta;
	const value = mergeValue(node, diff.value);
	if (node !== undefined && meta === node.meta && value === node.value) return node;
	if (node === undefined && meta === undefined && value === MISSING) return undefined;
	return createNode(value === MISSING ? EMPTY : value, meta);
}

const MISSING = Symbol('missing');

function createNode(value: unknown, meta: Meta | undefined): TreeNode {
	return { value, meta, data: undefined };
}

/** The node's value after the diff's value, or the same value (MISSING for a missing node) when unchanged. */
function mergeValue(node: TreeNode | undefined, next: unknown): unknown {
	const current = node === undefined ? MISSING : node.value;
	if (next === undefined) return current;
	if (isObject(next)) {
		const children = current instanceof Map ? (current as Children) : undefined;
		let copied: Map<string, TreeNode> | undefined;
		for (const key of Object.keys(next)) {
			const childDiff = next[key];
			if (!isObject(childDiff)) continue;
			const child = children?.get(key);
			const merged = mergePersistent(child, childDiff as NodeDiff);
			if (merged === child || merged === undefined) continue;
			(copied ??= copyOf(children)).set(key, merged);
		}
		// Children replace a leaf only if one of them changed something.
		return copied ?? current;
	}
	if (current !== MISSING && !(current instanceof Map) && leafEquals(current, next)) return current;
	return deepFreeze(cloneJson(next));
}

/** Meta after deep-merging `next` (objects merge, everything else replaces), or the same object. */
function mergeMeta(current: Meta | undefined, next: Record<string, unknown>): Meta | undefined {
	const merged = mergeRecord(current as Record<string, unknown> | undefined, next);
	return merged as Meta | undefined;
}

function mergeRecord(current: Record<string, unknown> | undefined, next: Record<string, unknown>): Record<string, unknown> | undefined {
	let copied: Record<string, unknown> | undefined;
	for (const key of Object.keys(next)) {
		const value = next[key];
		if (value === undefined) continue;
		const before = current?.[key];
		let after: unknown;
		if (isObject(value)) after = mergeRecord(isObject(before) ? before : undefined, value);
		else after = leafEquals(before, value) ? before : deepFreeze(cloneJson(value));
		if (after === before || after === undefined) continue;
		(copied ??= { ...current })[key] = after;
	}
	return copied === undefined ? current : Object.freeze(copied);
}

/**
 * The tree with `update` applied to the node at `segments` (creating object nodes on the
 * way, turning leaves on the way into objects); `update` returning `undefined` removes it.
 */
export function updateAt(root: TreeNode, segments: readonly string[], update: (node: TreeNode | undefined) => TreeNode | undefined, depth = 0): TreeNode {
	if (depth === segments.length) return update(root) ?? emptyNode();
	const key = segments[depth]!;
	const children = childrenOf(root);
	const child = children?.get(key);
	const next = depth === segments.length - 1 ? update(child) : child === undefined && isRemoval(update) ? undefined : updateAt(child ?? emptyNode(), segments, update, depth + 1);
	if (next === child) return root;
	const copiedChildren = copyOf(children);
	if (next === undefined) copiedChildren.delete(key);
	else copiedChildren.set(key, next);
	return createNode(copiedChildren, root.meta);
}

const REMOVE = (): undefined => undefined;

/** The update that removes a node. */
export const removeNode = REMOVE;
const isRemoval = (update: unknown) => update === REMOVE;

/**
 * A tree node from a node as the server sends it (children in objects), reusing every part of
 * `current` that is equal to it, so that nobody is told about changes that did not happen.
 */
export function fromNode(next: Node, current?: TreeNode): TreeNode {
	const nextValue = next.value as unknown;
	const metaEqual = current !== undefined && leafEquals(current.meta, next.meta);
	const meta = next.meta === undefined ? undefined : metaEqual ? current.meta : deepFreeze(cloneJson(next.meta));
	if (!isObject(nextValue)) {
		if (metaEqual && !(current.value instanceof Map) && leafEquals(current.value, nextValue)) return current;
		return createNode(deepFreeze(cloneJson(nextValue)), meta);
	}
	const currentChildren = childrenOf(current);
	const keys = Object.keys(nextValue);
	let same = metaEqual && currentChildren !== undefined && currentChildren.size === keys.length;
	const children = new Map<string, TreeNode>();
	for (const key of keys) {
		const before = currentChildren?.get(key);
		const child = fromNode(nextValue[key] as Node, before);
		if (child !== before) same = false;
		children.set(key, child);
	}
	return same ? current! : createNode(children, meta);
}

/**
 * `next` with every part that equals `previous` (the same values, meta and order of keys) taken
 * from `previous`, so that a tree worked out again from scratch tells nobody about changes that
 * did not happen. Costs only the parts whose identities differ.
 */
export function keepEqual(next: TreeNode, previous: TreeNode | undefined): TreeNode {
	if (previous === undefined || next === previous) return next;
	const metaEqual = leafEquals(next.meta, previous.meta);
	const children = childrenOf(next);
	const previousChildren = childrenOf(previous);
	if (children === undefined) return previousChildren === undefined && metaEqual && leafEquals(next.value, previous.value) ? previous : next;
	if (previousChildren === undefined) return next;
	let same = metaEqual && children.size === previousChildren.size;
	const previousKeys = previousChildren.keys();
	let copied: Map<string, TreeNode> | undefined;
	for (const [key, child] of children) {
		const before = previousChildren.get(key);
		const kept = before === undefined ? child : keepEqual(child, before);
		if (same && (kept !== before || previousKeys.next().value !== key)) same = false;
		if (kept !== child) (copied ??= copyOf(children)).set(key, kept);
	}
	if (same) return previous;
	return copied === undefined ? next : createNode(copied, next.meta);
}
