/**
 * The selected path in the page's address: `#/users/42` (each key URI-encoded, so a key may hold
 * any character), `#/` for the root. A link to a node opens the tree down to it.
 */
export function hashOfPath(path: string): string {
	return `#/${path === '' ? '' : path.split('/').map(encodeURIComponent).join('/')}`;
}

/** The keys a fragment names, or `undefined` when it names no node. */
export function keysOfHash(hash: string): string[] | undefined {
	if (!hash.startsWith('#/')) return undefined;
	const rest = hash.slice(2);
	if (rest === '') return [];
	try {
		return rest.split('/').map(decodeURIComponent);
	} catch {
		return undefined;
	}
}
