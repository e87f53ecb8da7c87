/**
 * A set of strings that holds a single member without allocating anything: most connections
 * subscribe to one or two paths, and an empty `Set` alone takes about 150 bytes.
 */
export type SmallSet = string | Set<string> | undefined;

export function smallSetHas(set: SmallSet, member: string): boolean {
	return typeof set === 'string' ? set === member : set !== undefined && set.has(member);
}

export function smallSetSize(set: SmallSet): number {
	return typeof set === 'string' ? 1 : (set?.size ?? 0);
}

/** The set with `member` added. */
export function smallSetAdd(set: SmallSet, member: string): SmallSet {
	if (set === undefined || set === member) return member;
	if (typeof set === 'string') return new Set([set, member]);
	set.add(member);
	return set;
}

/** The set without `member`. */
export function smallSetDelete(set: SmallSet, member: string): SmallSet {
	if (typeof set === 'string') return set === member ? undefined : set;
	set?.delete(member);
	return set?.size === 0 ? undefined : set;
}

export function smallSetMembers(set: SmallSet): Iterable<string> {
	return typeof set === 'string' ? [set] : (set ?? []);
}
