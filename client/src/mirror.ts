import { cloneJson, parsePath, segmentsOf, type Meta, type Node, type NodeDiff } from '@socketdb/core';
import { deepFreeze } from './deep-freeze';
import { childrenOf, nodeAt, emptyNode, fromNode, mergePersistent, removeNode, updateAt, type TreeNode } from './persistent-tree';

/**
 * The client's copy of the subtrees it subscribes to: one persistent node tree, so every
 * change produces a new root while unchanged subtrees keep their identity. Listeners
 * compare identities to find out what changed.
 */
export class Mirror {
	#tree: TreeNode = emptyNode();
	/** Counts the changes of the tree, so that a view built on it knows when to build again. */
	version = 0;
	readonly #plainMeta = new WeakMap<object, Meta>();

	/** The whole tree. */
	get root(): TreeNode {
		return this.#tree;
	}

	#setRoot(root: TreeNode): void {
		if (root === this.#tree) return;
		this.#tree = root;
		this.version++;
	}

	/**
	 * Takes `root`, a tree equal to the current one, for its node identities (those of a view that
	 * showed the same data): nothing changes for anyone reading it.
	 */
	adopt(root: TreeNode): void {
		this.#tree = root;
	}

	/** The node at `path`, or `undefined`. */
	nodeAt(segments: readonly string[]): TreeNode | undefined {
		return nodeAt(this.root, segments);
	}

	/** Merges a diff at `path`. */
	merge(path: string, diff: NodeDiff): void {
		this.#setRoot(updateAt(this.root, segmentsOf(path), (node) => mergePersistent(node, diff)));
	}

	/** Deletes `path` (and everything below). */
	delete(path: string): void {
		const segments = parsePath(path);
		this.#setRoot(segments.length === 0 ? emptyNode() : updateAt(this.root, segments, removeNode));
	}

	/**
	 * Replaces `path` with the server's full copy of it. Parts equal to what the mirror
	 * already holds keep their identity, so nobody is told about changes that did not happen.
	 */
	replace(path: string, node: NodeDiff | null): void {
		if (node === null) return this.delete(path);
		const segments = parsePath(path);
		const current = this.nodeAt(segments);
		const next = fromNode(node as Node, current);
		if (next === current) return;
		this.#setRoot(segments.length === 0 ? (childrenOf(next) !== undefined ? next : emptyNode()) : updateAt(this.root, segments, () => next));
	}

	/** Forgets everything under `path` except the subtrees at `keep` (paths below `path`). */
	retain(path: string, keep: readonly string[]): void {
		const segments = parsePath(path);
		const current = this.nodeAt(segments);
		if (current === undefined) return;
		if (keep.length === 0) return this.delete(path);
		let skeleton = emptyNode();
		for (const kept of keep) {
			const keptSegments = parsePath(kept);
			const keptNode = this.nodeAt(keptSegments);
			if (keptNode === undefined) continue;
			const relative = keptSegments.slice(segments.length);
			if (relative.length === 0) return;
			skeleton = updateAt(skeleton, relative, () => keptNode);
		}
		this.#setRoot(segments.length === 0 ? skeleton : updateAt(this.root, segments, () => skeleton));
	}

	/** The data at a node as handed to callbacks: frozen, and the same object while the node is unchanged. */
	dataOf(node: TreeNode | undefined): unknown {
		if (node === undefined || node.value === undefined || node.value === null) return null;
		const children = childrenOf(node);
		if (children === undefined) return node.value;
		if (node.data === undefined) {
			const object: Record<string, unknown> = {};
			for (const [key, child] of children) object[key] = this.dataOf(child);
			node.data = Object.freeze(object);
		}
		return node.data;
	}

	/** A node's meta as handed to callbacks: a frozen plain object, the same while the meta is unchanged. */
	metaOf(node: TreeNode | undefined): Meta | undefined {
		const meta = node?.meta;
		if (meta === undefined) return undefined;
		let plain = this.#plainMeta.get(meta);
		if (plain === undefined) {
			plain = deepFreeze(cloneJson(meta)) as Meta;
			this.#plainMeta.set(meta, plain);
		}
		return plain;
	}
}
