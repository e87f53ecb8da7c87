import { anchorAtPath, holdsServerValues, isObject, isServerValueNode, joinPath, MessageType, parsePath, segmentsOf, type ClientMessage, type NodeDiff } from '@socketdb/core';
import { childOf, emptyNode, nodeAt, mergePersistent, removeNode, updateAt, type TreeNode } from './persistent-tree';

/**
 * A write as the client sends it (after its hooks ran): what the client shows before the server
 * answers. Transactions are not shown ahead (their outcome depends on the server's value), nor
 * onDisconnect registrations (they write nothing now).
 */
export type LocalWrite = Extract<ClientMessage, { type: typeof MessageType.SET | typeof MessageType.DELETE | typeof MessageType.UPDATE }>;

/** True for the writes a client shows ahead of the server's answer. */
export function isLocalWrite(message: ClientMessage | undefined): message is LocalWrite {
	return message !== undefined && (message.type === MessageType.SET || message.type === MessageType.DELETE || message.type === MessageType.UPDATE);
}

/**
 * The tree after `write`, applied as the server applies it: a set merges its node at its path,
 * a delete removes the path, an update removes its deleted paths, then merges its node. Every
 * part the write does not change keeps its identity.
 *
 * This is where a write turns into the client's local change: a value the server computes when it
 * applies the write (a placeholder) is worked out here, from what `root` holds.
 */
export function applyWrite(root: TreeNode, write: LocalWrite): TreeNode {
	switch (write.type) {
		case MessageType.SET:
			return mergeAt(root, write.path, localValues(write, write.node, root));
		case MessageType.DELETE:
			return deleteAt(root, write.path);
		case MessageType.UPDATE: {
			let next = root;
			for (const relative of write.deleted) next = deleteAt(next, joinPath(write.path, relative));
			return write.node === undefined ? next : mergeAt(next, write.path, localValues(write, write.node, next));
		}
	}
}

/** Per write: whether its diff holds server values, and the local time its timestamps show. */
const serverValueTimes = new WeakMap<LocalWrite, number | null>();

/**
 * The write's diff with its server values (`increment()`, `serverTimestamp()`) worked out as the
 * server will: an increment of the number `root` holds there now, the client's clock (taken once
 * per write, so the value does not change while it shows) for a timestamp. The server's numbers
 * replace them once its change arrives.
 */
function localValues(write: Extract<LocalWrite, { path: string; node?: NodeDiff }>, diff: NodeDiff, root: TreeNode): NodeDiff {
	let time = serverValueTimes.get(write);
	if (time === undefined) serverValueTimes.set(write, (time = holdsServerValues(diff) ? Date.now() : null));
	if (time === null) return diff;
	return fillIn(diff, nodeAt(root, segmentsOf(write.path)), time);
}

function fillIn(diff: NodeDiff, node: TreeNode | undefined, time: number): NodeDiff {
	if (isServerValueNode(diff)) {
		const { sv, meta } = diff;
		const value = sv === 'timestamp' ? time : (typeof node?.value === 'number' ? node.value : 0) + sv.increment;
		return meta === undefined ? { value } : { value, meta };
	}
	if (!isObject(diff.value)) return diff;
	const children: Record<string, NodeDiff> = {};
	for (const key in diff.value) children[key] = fillIn(diff.value[key] as NodeDiff, childOf(node, key), time);
	return diff.meta === undefined ? { value: children } : { value: children, meta: diff.meta };
}

function mergeAt(root: TreeNode, path: string, node: NodeDiff): TreeNode {
	return mergePersistent(root, anchorAtPath(segmentsOf(path), node)) ?? root;
}

function deleteAt(root: TreeNode, path: string): TreeNode {
	const segments = parsePath(path);
	return segments.length === 0 ? emptyNode() : updateAt(root, segments, removeNode);
}

/**
 * Whether `write` may change the value at `path` (anything at or below it): a delete at, above or
 * below it; a set or update whose diff reaches it (at or above it, or below it within the diff's
 * keys, or through a leaf written above it, which replaces everything below). The server's
 * `FanOut.confirmCurrent` follows the same rule.
 */
export function writeReaches(write: LocalWrite, path: string): boolean {
	switch (write.type) {
		case MessageType.SET:
			return diffReaches(write.path, write.node, path);
		case MessageType.DELETE:
			return related(write.path, path);
		case MessageType.UPDATE:
			return write.deleted.some((relative) => related(joinPath(write.path, relative), path)) || (write.node !== undefined && diffReaches(write.path, write.node, path));
	}
}

/** Whether one path lies at or below the other. */
function related(a: string, b: string): boolean {
	const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
	return shorter === '' || longer === shorter || longer.startsWith(`${shorter}/`);
}

function diffReaches(at: string, diff: NodeDiff, path: string): boolean {
	// At or above the written path: it changes something there.
	if (path === '' || path === at || at.startsWith(`${path}/`)) return true;
	if (at !== '' && !path.startsWith(`${at}/`)) return false;
	const below = segmentsOf(path).slice(segmentsOf(at).length);
	let node: NodeDiff = diff;
	for (const key of below) {
		const value = node.value;
		// A leaf replaces everything below it; a node without a value (meta only) changes nothing below.
		if (!isObject(value)) return value !== undefined;
		const child = value[key];
		if (!isObject(child)) return false;
		node = child as NodeDiff;
	}
	return true;
}

/**
 * Whether applying `earlier` and then `later` always gives what `later` alone gives: both set the
 * same path, and `later` writes over everything `earlier` set (every key it wrote, at every level,
 * written again or replaced by a leaf; its meta keys set again). A client that keeps writing one
 * path then replays only its last write. (A delete does not mask a set: the objects the set made
 * on the way to its path stay.)
 */
export function masks(later: LocalWrite, earlier: LocalWrite): boolean {
	return later.type === MessageType.SET && earlier.type === MessageType.SET && later.path === earlier.path && covers(later.node, earlier.node);
}

function covers(later: NodeDiff, earlier: NodeDiff): boolean {
	if (earlier.meta !== undefined && !recordCovers(later.meta, earlier.meta)) return false;
	const [next, before] = [later.value, earlier.value];
	if (before === undefined || (next !== undefined && !isObject(next))) return true;
	if (!isObject(next) || !isObject(before)) return false;
	for (const key of Object.keys(before)) {
		const child = next[key];
		if (!isObject(child) || !covers(child as NodeDiff, before[key] as NodeDiff)) return false;
	}
	return true;
}

/** Meta merges: every key of `earlier` set again, objects only over objects. */
function recordCovers(later: unknown, earlier: Record<string, unknown>): boolean {
	if (!isObject(later)) return false;
	for (const key of Object.keys(earlier)) {
		const next = later[key];
		if (next === undefined) return false;
		if (isObject(next) && !(isObject(earlier[key]) && recordCovers(next, earlier[key]))) return false;
	}
	return true;
}
