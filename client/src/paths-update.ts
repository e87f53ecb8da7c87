import { assertPath, isObject, joinPath, MessageType, nodeify, normalizePath, parsePath, SocketDBError, type Json, type LeafValue, type Meta, type NodeDiff, type UpdateMessage } from '@socketdb/core';
import { toJsonValue } from './json-value';

/** One path of `ref.update`: a value written as `set` writes it, or `null` to delete the path. */
export type PathWrite = { path: string; value: Json | LeafValue | null; meta?: Meta | undefined };

/**
 * Splits the argument of `ref.update(values, meta)` made at `at` into its writes, with absolute
 * paths. Keys are paths relative to `at` and may hold `/`; `meta` goes with every value written.
 *
 * @throws SocketDBError `INVALID_VALUE` when `values` is not an object or holds `undefined`,
 * `INVALID_PATH` for a key that is not a path below `at`.
 */
export function pathWrites(at: string, values: unknown, meta: Meta | undefined): PathWrite[] {
	if (!isObject(values) || Array.isArray(values)) throw new SocketDBError('INVALID_VALUE', 'update takes an object of relative paths and their values, such as { "name": "Ada", "address/city": null }');
	const writes: PathWrite[] = [];
	for (const [key, value] of Object.entries(values)) {
		const relative = normalizePath(key);
		if (relative === '') throw new SocketDBError('INVALID_PATH', 'an update key names a path below the reference; use set() or delete() for the reference itself');
		const path = joinPath(at, relative);
		assertPath(path);
		if (value === undefined) throw new SocketDBError('INVALID_VALUE', `the value for "${key}" is undefined; use null to delete a path`);
		writes.push(value === null ? { path, value: null } : { path, value: toJsonValue(value, true) as Json | LeafValue, meta });
	}
	return writes;
}

/**
 * The UPDATE message of an update's writes: the values merged into one root-anchored node, the
 * deleted paths listed. Checked again here, since client hooks may have changed any write.
 *
 * @throws SocketDBError `INVALID_PATH` when one path lies at or below another (the update's
 * outcome would depend on the order of its keys), `INVALID_VALUE` for a value that cannot be stored.
 */
export function updateMessage(writes: readonly PathWrite[]): Omit<UpdateMessage, 'seq'> {
	assertDisjoint(writes.map((write) => write.path));
	let root: NodeDiff | undefined;
	const deleted: string[] = [];
	for (const { path, value, meta } of writes) {
		assertPath(path);
		if (path === '') throw new SocketDBError('INVALID_PATH', 'an update cannot write the root as one of its paths');
		if (value === null) {
			deleted.push(path);
			continue;
		}
		if (value === undefined) throw new SocketDBError('INVALID_VALUE', `the value for "${path}" is undefined; use null to delete a path`);
		if (meta !== undefined && !isObject(meta)) throw new SocketDBError('INVALID_VALUE', 'meta must be an object');
		const node: NodeDiff = nodeify(value);
		if (meta !== undefined) node.meta = meta;
		root = insertAt(root ?? { value: {} }, parsePath(path), node);
	}
	const message: Omit<UpdateMessage, 'seq'> = { type: MessageType.UPDATE, path: '', deleted };
	if (root !== undefined) message.node = root;
	return message;
}

/** Puts `node` at `segments` below `root`, making the objects on the way (paths are disjoint). */
function insertAt(root: NodeDiff, segments: readonly string[], node: NodeDiff): NodeDiff {
	let parent = root;
	for (let i = 0; i < segments.length - 1; i++) {
		const children = parent.value as Record<string, NodeDiff>;
		parent = children[segments[i]!] ??= { value: {} };
	}
	(parent.value as Record<string, NodeDiff>)[segments[segments.length - 1]!] = node;
	return root;
}

function assertDisjoint(paths: readonly string[]): void {
	// Sorted segment by segment, a path's descendants come right after it.
	const sorted = paths.map(parsePath).sort(compareSegments);
	for (let i = 1; i < sorted.length; i++) {
		const [before, path] = [sorted[i - 1]!, sorted[i]!];
		if (before.every((segment, index) => path[index] === segment)) {
			throw new SocketDBError('INVALID_PATH', `an update cannot write both "${before.join('/')}" and "${path.join('/')}": one lies at or below the other`);
		}
	}
}

function compareSegments(a: readonly string[], b: readonly string[]): number {
	for (let i = 0; i < Math.min(a.length, b.length); i++) {
		if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
	}
	return a.length - b.length;
}
