/**
 * The LMDB store's key layout: one key per node, `/` followed by its path (the root is `/`).
 * LMDB keeps keys in order, so everything below a node is one contiguous range.
 */

/** A node's key: `/` and its path. */
export function keyOf(segments: readonly string[]): string {
	return '/' + segments.join('/');
}

/** Every key below the node at `key` starts with this. */
export function descendantsPrefix(key: string): string {
	return key === '/' ? '/' : key + '/';
}

/** The first key after every key that starts with `prefix` (which ends with `/`). */
export function rangeEnd(prefix: string): string {
	return prefix.slice(0, -1) + '0';
}

/** The key of the parent of the node at `key` (not the root). */
export function parentKey(key: string): string {
	const slash = key.lastIndexOf('/');
	return slash === 0 ? '/' : key.slice(0, slash);
}
