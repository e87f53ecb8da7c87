import { cloneJson, isObject, leafEquals, parsePath, segmentsOf, type Meta, type Node, type NodeDiff } from '@socketdb/core';
import { freeze } from 'immer';
import { emptyNode, mergePersistent, removeNode, updateAt } from './persistent-tree';

/**
 * The client's copy of the subtrees it subscribes to: one immutable node tree, so every
 * change produces a new root while unchanged subtrees keep their identity. Listeners
 * compare identities to find out what changed.
 */
export class Mirror {
	private root: Node = emptyNode();
	private readonly unwrapped = new WeakMap<object, unknown>();
	private readonly plainMeta = new WeakMap<object, Meta>();

	/** The node at `path`, or `undefined`. */
	nodeAt(segments: readonly string[]): Node | undefined {
		let node: Node | undefined = this.root;
		for (const key of segments) {
			if (node === undefined || !isObject(node.value)) return undefined;
			node = (node.value as Record<string, Node>)[key];
		}
		return node;
	}

	/** Merges a diff at `path`. */
	merge(path: string, diff: NodeDiff): void {
		this.root = updateAt(this.root, segmentsOf(path), (node) => mergePersistent(node, diff));
	}

	/** Deletes `path` (and everything below). */
	delete(path: string): void {
		const segments = parsePath(path);
		this.root = segments.length === 0 ? emptyNode() : updateAt(this.root, segments, removeNode);
	}

	/**
	 * Replaces `path` with the server's full copy of it. Parts equal to what the mirror
	 * already holds keep their identity, so nobody is told about changes that did not happen.
	 */
	replace(path: string, node: NodeDiff | null): void {
		if (node === null) return this.delete(path);
		const segments = parsePath(path);
		const current = this.nodeAt(segments);
		const next = reconcile(current, node as Node);
		if (next === current) return;
		const frozen = freeze(next, true);
		this.root = segments.length === 0 ? (isObject(frozen.value) ? frozen : emptyNode()) : updateAt(this.root, segments, () => frozen);
	}

	/** Forgets everything under `path` except the subtrees at `keep` (paths below `path`). */
	retain(path: string, keep: readonly string[]): void {
		const segments = parsePath(path);
		const current = this.nodeAt(segments);
		if (current === undefined) return;
		if (keep.length === 0) return this.delete(path);
		const skeleton: Node = { value: ({} as Record<string, Node>) };
		for (const kept of keep) {
			const keptSegments = parsePath(kept);
			const keptNode = this.nodeAt(keptSegments);
			if (keptNode === undefined) continue;
			const relative = keptSegments.slice(segments.length);
			const last = relative.pop();
			if (last === undefined) return;
			let parent = skeleton;
			for (const key of relative) {
				const children = parent.value as Record<string, Node>;
				parent = children[key] ??= { value: ({} as Record<string, Node>) };
			}
			(parent.value as Record<string, Node>)[last] = keptNode;
		}
		this.replaceSilently(segments, skeleton);
	}

	/** The data at a node as handed to callbacks: frozen, and the same object while the node is unchanged. */
	dataOf(node: Node | undefined): unknown {
		if (node === undefined || node.value === undefined || node.value === null) return null;
		if (!isObject(node.value)) return node.value;
		let data = this.unwrapped.get(node);
		if (data === undefined) {
			const children = node.value as Record<string, Node>;
			const object: Record<string, unknown> = {};
			for (const key of Object.keys(children)) object[key] = this.dataOf(children[key]);
			data = Object.freeze(object);
			this.unwrapped.set(node, data);
		}
		return data;
	}

	/** A node's meta as handed to callbacks: a frozen plain object, the same while the meta is unchanged. */
	metaOf(node: Node | undefined): Meta | undefined {
		const meta = node?.meta;
		if (meta === undefined) return undefined;
		let plain = this.plainMeta.get(meta);
		if (plain === undefined) {
			plain = freeze(cloneJson(meta), true) as Meta;
			this.plainMeta.set(meta, plain);
		}
		return plain;
	}

	private replaceSilently(segments: string[], node: Node): void {
		const frozen = freeze(node, true);
		this.root = segments.length === 0 ? frozen : updateAt(this.root, segments, () => frozen);
	}
}

/** `next`, reusing every part of `current` that is equal to it. */
function reconcile(current: Node | undefined, next: Node): Node {
	if (current === undefined) return next;
	const metaEqual = leafEquals(current.meta, next.meta);
	const currentValue = current.value as unknown;
	const nextValue = next.value as unknown;
	if (!isObject(nextValue) || !isObject(currentValue)) {
		if (metaEqual && !isObject(nextValue) && !isObject(currentValue) && leafEquals(currentValue, nextValue)) return current;
		return next;
	}
	const currentChildren = currentValue as Record<string, Node>;
	const nextChildren = nextValue as Record<string, Node>;
	let same = metaEqual && Object.keys(currentChildren).length === Object.keys(nextChildren).length;
	const children = ({} as Record<string, Node>);
	for (const key of Object.keys(nextChildren)) {
		const child = reconcile(currentChildren[key], nextChildren[key]!);
		if (child !== currentChildren[key]) same = false;
		children[key] = child;
	}
	if (same) return current;
	const result: Node = { value: children };
	if (next.meta !== undefined) result.meta = metaEqual ? current.meta : next.meta;
	return result;
}
