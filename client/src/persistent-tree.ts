import { cloneJson, isObject, leafEquals, type Meta, type Node, type NodeDiff } from '@socketdb/core';

/**
 * Structural sharing for the client's node tree: every change returns new nodes along
 * what it changed and the very same (frozen) nodes everywhere else. Written by hand
 * rather than with immer's produce, whose proxies cost most of a client's time per update.
 * Maps are plain objects, which V8 keeps in its fast representation; their keys were
 * validated by the server.
 */

type Children = Record<string, Node>;

const childrenOf = (node: Node): Children | undefined => (isObject(node.value) ? (node.value as Children) : undefined);

/** A new empty object node. */
export const emptyNode = (): Node => Object.freeze({ value: Object.freeze({}) });

/**
 * `node` with `diff` merged (SocketDB's rules, exactly as core's `mergeNode`), sharing every
 * part the diff did not change: `node` itself when nothing changed, and `undefined` for a
 * missing node the diff does not create.
 */
export function mergePersistent(node: Node | undefined, diff: NodeDiff): Node | undefined {
	const meta = isObject(diff.meta) ? mergeMeta(node?.meta, diff.meta) : node?.meta;
	const value = mergeValue(node, diff.value);
	if (node !== undefined && meta === node.meta && value === node.value) return node;
	if (node === undefined && meta === undefined && value === MISSING) return undefined;
	const merged: Node = { value: value === MISSING ? EMPTY : value };
	if (meta !== undefined) merged.meta = meta;
	return Object.freeze(merged);
}

const MISSING = Symbol('missing');
const EMPTY: Children = Object.freeze({});

/** The node's value after the diff's value, or the same value (MISSING for a missing node) when unchanged. */
function mergeValue(node: Node | undefined, next: unknown): unknown {
	const current = node === undefined ? MISSING : node.value;
	if (next === undefined) return current;
	if (isObject(next)) {
		const children = current !== MISSING && isObject(current) ? (current as Children) : undefined;
		let copied: Children | undefined;
		for (const key of Object.keys(next)) {
			const childDiff = next[key];
			if (!isObject(childDiff)) continue;
			const child = children?.[key];
			const merged = mergePersistent(child, childDiff as NodeDiff);
			if (merged === child || merged === undefined) continue;
			(copied ??= { ...children })[key] = merged;
		}
		// Children replace a leaf only if one of them changed something.
		return copied === undefined ? current : Object.freeze(copied);
	}
	if (current !== MISSING && !isObject(current) && leafEquals(current, next)) return current;
	return freezeJson(cloneJson(next));
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
		else after = leafEquals(before, value) ? before : freezeJson(cloneJson(value));
		if (after === before || after === undefined) continue;
		(copied ??= { ...current })[key] = after;
	}
	return copied === undefined ? current : Object.freeze(copied);
}

/** Freezes a JSON value and everything in it. */
function freezeJson<T>(value: T): T {
	if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
	for (const item of Object.values(value)) freezeJson(item);
	return Object.freeze(value);
}

/**
 * The tree with `update` applied to the node at `segments` (creating object nodes on the
 * way, turning leaves on the way into objects); `update` returning `undefined` removes it.
 */
export function updateAt(root: Node, segments: readonly string[], update: (node: Node | undefined) => Node | undefined, depth = 0): Node {
	if (depth === segments.length) return update(root) ?? emptyNode();
	const key = segments[depth]!;
	const children = childrenOf(root);
	const child = children?.[key];
	const next = depth === segments.length - 1 ? update(child) : child === undefined && isRemoval(update) ? undefined : updateAt(child ?? emptyNode(), segments, update, depth + 1);
	if (next === child) return root;
	const copiedChildren: Children = { ...children };
	if (next === undefined) delete copiedChildren[key];
	else copiedChildren[key] = next;
	const copy: Node = { value: Object.freeze(copiedChildren) };
	if (root.meta !== undefined) copy.meta = root.meta;
	return Object.freeze(copy);
}

const REMOVE = (): undefined => undefined;

/** The update that removes a node. */
export const removeNode = REMOVE;
const isRemoval = (update: unknown) => update === REMOVE;
