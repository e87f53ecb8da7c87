/**
 * Removes `key` from `map`, a long-lived Map whose entries come and go in order (writes by their
 * sequence number), and returns the Map to keep using: every few thousand removals, a fresh copy.
 *
 * V8 keeps what the removed entries of such a Map held reachable for its young-generation
 * collector until a full collection: in a client writing as fast as it can, nearly every write in
 * flight was promoted and the client spent a fifth of its time collecting. A copy does not carry
 * that over. The count is shared by all such Maps; its prime spacing lets Maps whose removals
 * alternate each get their turn.
 */
let removals = 0;

export function removeFrom<K, V>(map: Map<K, V>, key: K): Map<K, V> {
	map.delete(key);
	return ++removals % 4093 ? map : new Map(map);
}
