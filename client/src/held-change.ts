import { holdsServerValues, isObject, leafEquals, type NodeDiff } from '@socketdb/core';
import { childrenOf, mergePersistent, type TreeNode } from './persistent-tree';

/**
 * A `set` is compared with what the client holds, as SocketDB did: `heldAt` gives the node the
 * client holds at a path when it knows the server's current value there (`false` when it does
 * not). Returns the node to send: the whole node when the client does not know, only what would
 * change, or `undefined` when nothing would. A write of server values is always sent whole.
 */
export function changeToSend(heldAt: (path: string) => TreeNode | undefined | false, path: string, node: NodeDiff): NodeDiff | undefined {
	if (holdsServerValues(node)) return node;
	const held = heldAt(path);
	return held === false ? node : changeAgainst(held, node);
}

/** What merging `diff` into `held` would change (SocketDB's merge rules, as `mergePersistent`), or `undefined` when nothing. */
function changeAgainst(held: TreeNode | undefined, diff: NodeDiff): NodeDiff | undefined {
	let change: NodeDiff | undefined;
	// Meta that would change goes whole: merged, it has the same effect as its changed part.
	if (isObject(diff.meta) && mergePersistent(held, { meta: diff.meta }) !== held) change = { meta: diff.meta };
	const value = diff.value;
	if (isObject(value)) {
		const children = childrenOf(held);
		let changed: Record<string, NodeDiff> | undefined;
		for (const key of Object.keys(value)) {
			const child = changeAgainst(children?.get(key), value[key] as NodeDiff);
			if (child !== undefined) (changed ??= {})[key] = child;
		}
		if (changed !== undefined) (change ??= {}).value = changed;
	} else if (value !== undefined && (held === undefined || childrenOf(held) !== undefined || !leafEquals(held.value, value))) {
		(change ??= {}).value = value;
	}
	return change;
}
