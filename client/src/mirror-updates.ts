import { anchorAtPath, isEmptyObject, isObject, joinPath, parentPath, parsePath, type DataOp, type Node, type NodeDiff, type Store } from '@socketdb/core';
import type { Listeners } from './listeners';
import type { Mirror } from './mirror';
import type { ClientErrorEvent } from './types';

/**
 * How the server's changes of subscribed paths reach the mirror, the listeners, and the store
 * the application passed in (`store`), if any.
 */
export function createMirrorUpdates(mirror: Mirror, listeners: Listeners, externalStore: Store | undefined, reportError: (event: ClientErrorEvent) => void) {
	/**
	 * Changes of a subscribed path (DATA's ops) go into the mirror; listeners of what changed are
	 * called. Listeners hear of every op, except that ops applied together (`joined` to the one before: one
	 * write of several paths; or `'all'`, a delta) are all in the mirror before they hear of them.
	 */
	function applyOps(path: string, ops: readonly DataOp[], joined?: readonly number[] | 'all'): void {
		if (joined === undefined) {
			for (const op of ops) applyOp(path, op, true);
			return;
		}
		const together = joined === 'all' ? undefined : new Set(joined);
		let first = 0;
		for (let index = 0; index < ops.length; index++) {
			applyOp(path, ops[index]!, false);
			const next = index + 1;
			if (next < ops.length && (together === undefined || together.has(next))) continue;
			for (let done = first; done <= index; done++) refreshOp(path, ops[done]!);
			first = next;
		}
	}

	function applyOp(path: string, op: DataOp, refresh: boolean): void {
		if (typeof op === 'string') {
			const deleted = joinPath(path, op);
			mirror.delete(deleted);
			writeThrough(deleted, null, true);
		} else {
			mirror.merge(path, op);
			writeThrough(path, op, false);
		}
		if (refresh) refreshOp(path, op);
	}

	function refreshOp(path: string, op: DataOp): void {
		if (typeof op === 'string') listeners.refresh(joinPath(path, op));
		else listeners.refresh(path, op);
	}

	/**
	 * Mirrors each change into a store the app passed in, if any. A path gone from it takes along
	 * the ancestors it leaves empty: the store holds what the subscriptions hold, and a deleted
	 * ancestor of a subscribed path is not there (`get` gives `null`, as in SocketDB).
	 */
	function writeThrough(path: string, node: NodeDiff | null, replace: boolean): void {
		if (externalStore === undefined) return;
		try {
			if (replace) externalStore.del(path);
			if (node !== null) externalStore.put(anchorAtPath(parsePath(path), node) as Node);
			else for (let parent = parentPath(path); parent !== '' && isEmptyNode(externalStore.get(parent)); parent = parentPath(parent)) externalStore.del(parent);
		} catch (error) {
			reportError({ code: 'INTERNAL_ERROR', message: `the client store failed: ${(error as Error).message}` });
		}
	}

	return { applyOps, writeThrough };
}

function isEmptyNode(node: Node | null): boolean {
	return isObject(node?.value) && isEmptyObject(node.value);
}
