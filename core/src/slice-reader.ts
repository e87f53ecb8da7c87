import { createRecord, isObject } from './json';
import type { Node, NodeDiff } from './node';
import { joinPath } from './path';
import { isLiveStore, type Store } from './store';

/** How much one slice may hold: nodes, and bytes as estimated by `estimateBytes`. A slice holds at least one node. */
export type SliceBudget = { nodes: number; bytes: number };

/**
 * One slice of a subtree. The first is the node at the path (`null` when there is none) with
 * as much of its subtree as the budget allows; each later one is a diff anchored at the path
 * that adds nodes the earlier slices did not hold, with the objects above them as containers
 * (object nodes without meta). A later slice's node is `null` when it found nothing more.
 * Merging every slice in order (objects, even empty ones, always stay objects) gives the subtree.
 */
export type Slice = { node: NodeDiff | null; done: boolean };

/** Reads one subtree a slice at a time. Each slice shows the store as it is when that slice is read. */
export interface SliceReader {
	next(budget: SliceBudget): Slice;
	/**
	 * True when the slices show the subtree as it was when the reader was opened (it was read
	 * whole then): changes made since must reach the reader's client after the last slice.
	 */
	readonly readAtOpen?: boolean;
}

/**
 * The first slice of the subtree at `path` and, when more follow, the reader for the rest. A
 * value of the in-memory store that fits in one slice (most do) costs one `get` and a bounded
 * walk, and no reader is made.
 */
export function readFirstSlice(store: Store, path: string, budget: SliceBudget): Slice & { rest?: SliceReader } {
	if (store.readSlices === undefined && isLiveStore(store)) {
		const node = store.get(path);
		if (node === null || !isObject(node.value) || fits('', node, { ...budget })) return { node, done: true };
	}
	const reader = openSliceReader(store, path);
	const first = reader.next(budget);
	return first.done ? first : { node: first.node, done: false, rest: reader };
}

/**
 * A reader for the subtree at `path`: the store's own (`readSlices`), a walk of the live tree
 * for the in-memory store, or, for other stores, one `get` whose result is then cut into slices.
 */
export function openSliceReader(store: Store, path: string): SliceReader {
	if (store.readSlices !== undefined) return store.readSlices(path);
	if (isLiveStore(store)) return new TreeWalker((segments) => store.get(segments.length === 0 ? path : joinPath(path, segments.join('/'))), false);
	const node = store.get(path);
	return new TreeWalker((segments) => nodeBelow(node, segments), true);
}

/**
 * A rough size of a JSON value in MessagePack, in bytes: enough to cut slices of about the
 * same size without encoding anything.
 */
export function estimateBytes(value: unknown): number {
	switch (typeof value) {
		case 'string':
			return value.length + 3;
		case 'number':
			return 5;
		case 'object': {
			if (value === null) return 1;
			let bytes = 3;
			if (Array.isArray(value)) for (const item of value) bytes += estimateBytes(item);
			else for (const key of Object.keys(value)) bytes += key.length + 3 + estimateBytes((value as Record<string, unknown>)[key]);
			return bytes;
		}
		default:
			return 1;
	}
}

/** The estimated size of one node under `key`, without its children. */
function nodeBytes(key: string, node: NodeDiff): number {
	const meta = node.meta === undefined ? 0 : estimateBytes(node.meta) + 8;
	return key.length + 3 + meta + (isObject(node.value) ? 3 : estimateBytes(node.value));
}

/** Counts what goes into one slice against its budget. */
export class SliceMeter {
	private nodes = 0;
	private bytes = 0;

	constructor(private readonly budget: SliceBudget) {}

	get full(): boolean {
		return this.nodes >= this.budget.nodes || this.bytes >= this.budget.bytes;
	}

	take(bytes: number): void {
		this.nodes++;
		this.bytes += bytes;
	}

	/** Takes `node` and its whole subtree if they fit in what is left; otherwise takes nothing and returns false. */
	takeWhole(key: string, node: Node): boolean {
		const room = { nodes: this.budget.nodes - this.nodes, bytes: this.budget.bytes - this.bytes };
		if (!fits(key, node, room)) return false;
		this.nodes = this.budget.nodes - room.nodes;
		this.bytes = this.budget.bytes - room.bytes;
		return true;
	}
}

/** Subtracts the subtree's size from `room`; false as soon as it does not fit. */
function fits(key: string, node: Node, room: { nodes: number; bytes: number }): boolean {
	room.nodes -= 1;
	room.bytes -= nodeBytes(key, node);
	if (room.nodes < 0 || room.bytes < 0) return false;
	if (!isObject(node.value)) return true;
	const children = node.value as Record<string, Node>;
	for (const childKey of Object.keys(children)) if (!fits(childKey, children[childKey]!, room)) return false;
	return true;
}

/** An object being walked: its path below the subscribed one and the keys still to visit. */
type Frame = {
	readonly segments: readonly string[];
	readonly keys: readonly string[];
	index: number;
	/** The slice round in which `node` and `container` were found; they are looked up again in a later one. */
	round: number;
	/** The object node itself, or undefined once it is gone or no longer an object. */
	node: Node | undefined;
	/** Its container in the slice being built, made when the first child goes in. */
	container: NodeDiff | undefined;
};

/**
 * Cuts a tree into slices by walking it depth first with an explicit stack. Each slice starts by
 * looking the objects on the stack up again by path (`resolve`), so it reads the tree as it is
 * then: children deleted meanwhile are skipped, children added meanwhile are not visited (their
 * changes reach the client anyway). Slices hold the tree's own nodes, so a slice must be encoded
 * before the tree changes again.
 */
class TreeWalker implements SliceReader {
	private readonly stack: Frame[] = [];
	private round = 0;
	private started = false;

	constructor(
		private readonly resolve: (segments: readonly string[]) => Node | null,
		readonly readAtOpen: boolean,
	) {}

	next(budget: SliceBudget): Slice {
		const meter = new SliceMeter(budget);
		this.round++;
		if (!this.started) {
			this.started = true;
			const node = this.resolve([]);
			if (node === null) return { node: null, done: true };
			if (!isObject(node.value) || meter.takeWhole('', node)) return { node, done: true };
			const root = openedNode(node);
			meter.take(nodeBytes('', node));
			this.stack.push({ segments: [], keys: Object.keys(node.value), index: 0, round: this.round, node, container: root });
			this.fill(meter, root);
			return { node: root, done: this.stack.length === 0 };
		}
		const root: NodeDiff = { value: createRecord() };
		this.fill(meter, root);
		const empty = Object.keys(root.value as object).length === 0;
		return { node: empty ? null : root, done: this.stack.length === 0 };
	}

	private fill(meter: SliceMeter, root: NodeDiff): void {
		while (this.stack.length > 0 && !meter.full) {
			const frame = this.stack[this.stack.length - 1]!;
			const node = this.nodeOf(frame);
			if (node === undefined || frame.index >= frame.keys.length) {
				this.stack.pop();
				continue;
			}
			const key = frame.keys[frame.index++]!;
			const child = childOf(node, key);
			if (child === undefined) continue;
			const children = this.containerOf(frame, root).value as Record<string, NodeDiff>;
			if (!isObject(child.value)) {
				meter.take(nodeBytes(key, child));
				children[key] = child;
			} else if (meter.takeWhole(key, child)) {
				children[key] = child;
			} else {
				const opened = openedNode(child);
				meter.take(nodeBytes(key, child));
				children[key] = opened;
				this.stack.push({ segments: [...frame.segments, key], keys: Object.keys(child.value), index: 0, round: this.round, node: child, container: opened });
			}
		}
	}

	private nodeOf(frame: Frame): Node | undefined {
		if (frame.round === this.round) return frame.node;
		frame.round = this.round;
		frame.container = undefined;
		const node = this.resolve(frame.segments);
		frame.node = node !== null && isObject(node.value) ? node : undefined;
		return frame.node;
	}

	/** The frame's object in this slice, with the containers above it. */
	private containerOf(frame: Frame, root: NodeDiff): NodeDiff {
		if (frame.container !== undefined) return frame.container;
		let container = root;
		for (const key of frame.segments) {
			const children = container.value as Record<string, NodeDiff>;
			container = children[key] ??= { value: createRecord() };
		}
		return (frame.container = container);
	}
}

/** An object node's meta with an empty map for the children a slice adds. */
function openedNode(node: Node): NodeDiff {
	return node.meta === undefined ? { value: createRecord() } : { meta: node.meta, value: createRecord() };
}

/** The child `key` of an object node; stores other than the in-memory one may hold children in objects with a prototype. */
function childOf(node: Node, key: string): Node | undefined {
	const children = node.value as Record<string, Node>;
	return Object.prototype.hasOwnProperty.call(children, key) ? children[key] : undefined;
}

function nodeBelow(node: Node | null, segments: readonly string[]): Node | null {
	let current = node;
	for (const key of segments) {
		if (current === null || !isObject(current.value)) return null;
		current = childOf(current, key) ?? null;
	}
	return current;
}
