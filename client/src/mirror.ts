import { cloneJson, createRecord, isObject, leafEquals, mergeNode, parsePath, type Meta, type Node, type NodeDiff } from '@socketdb/core';
import { freeze, produce, type Draft } from 'immer';

/**
 * The client's copy of the subtrees it subscribes to: one immutable node tree
 * (immer), so every change produces a new root while unchanged subtrees keep
 * their identity. Listeners compare identities to find out what changed.
 */
export class Mirror {
	private root: Node = freeze({ value: createRecord<Node>() }, true);
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
		const segments = parsePath(path);
		this.root = produce(this.root, (draft) => {
			mergeNode(ensureNode(draft, segments) as Node, diff);
		});
	}

	/** Deletes `path` (and everything below). */
	delete(path: string): void {
		const segments = parsePath(path);
		const last = segments.pop();
		if (last === undefined) {
			this.root = freeze({ value: createRecord<Node>() }, true);
			return;
		}
		if (this.nodeAt([...segments, last]) === undefined) return;
		this.root = produce(this.root, (draft) => {
			const parent = findNode(draft, segments);
			if (parent !== undefined && isObject(parent.value)) delete (parent.value as Record<string, unknown>)[last];
		});
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
		if (segments.length === 0) {
			this.root = isObject(next.value) ? freeze(next, true) : freeze({ value: createRecord<Node>() }, true);
			return;
		}
		const last = segments.pop()!;
		this.root = produce(this.root, (draft) => {
			const parent = ensureNode(draft, segments);
			(parent.value as Record<string, Node>)[last] = next as Draft<Node>;
		});
	}

	/** Forgets everything under `path` except the subtrees at `keep` (paths below `path`). */
	retain(path: string, keep: readonly string[]): void {
		const segments = parsePath(path);
		const current = this.nodeAt(segments);
		if (current === undefined) return;
		if (keep.length === 0) return this.delete(path);
		const skeleton: Node = { value: createRecord<Node>() };
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
				parent = children[key] ??= { value: createRecord<Node>() };
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
			data = freeze(object);
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
		if (segments.length === 0) {
			this.root = freeze(node, true);
			return;
		}
		const last = segments[segments.length - 1]!;
		this.root = produce(this.root, (draft) => {
			const parent = ensureNode(draft, segments.slice(0, -1));
			(parent.value as Record<string, Node>)[last] = node as Draft<Node>;
		});
	}
}

function findNode(draft: Draft<Node>, segments: readonly string[]): Draft<Node> | undefined {
	let node: Draft<Node> | undefined = draft;
	for (const key of segments) {
		if (node === undefined || !isObject(node.value)) return undefined;
		node = (node.value as Record<string, Draft<Node>>)[key];
	}
	return node;
}

/** Walks to `segments`, creating object nodes where the path does not exist yet. */
function ensureNode(draft: Draft<Node>, segments: readonly string[]): Draft<Node> {
	let node = draft;
	for (const key of segments) {
		if (!isObject(node.value)) node.value = createRecord();
		const children = node.value as Record<string, Draft<Node>>;
		node = children[key] ??= { value: createRecord() } as Draft<Node>;
	}
	if (!isObject(node.value) && node.value === undefined) node.value = createRecord();
	return node;
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
	const children = createRecord<Node>();
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
