import { createRecord, isEmptyObject, isObject, objectWith, withKey } from './json';
import type { Meta, Node, NodeDiff } from './node';

/**
 * Deep-merges `diff` into `target` in place and returns exactly what changed,
 * or `undefined` when nothing did.
 *
 * The rules, SocketDB's: objects merge key by key; leaves (primitives, arrays) replace;
 * an object replacing a leaf turns the node into an object holding only the new keys;
 * an empty object changes nothing (so `{ value: {}, meta }` sets meta only).
 * Meta merges the same way.
 *
 * The returned diff never shares mutable objects with `target`, so it can be queued
 * while later writes keep changing the tree. Where everything `diff` says changed (and it holds
 * no meta), the returned diff is `diff` itself or shares its parts: writes seldom repeat what is
 * there, and copying what changed was most of a write's allocations. The tree's own maps have no
 * prototype; the diff is made of plain objects (its keys were validated), since hooks hand it to users.
 * `createMap` makes the maps added to the tree (prototype-less by default).
 */
export function mergeNode(target: Node, diff: NodeDiff, createMap: <T>() => Record<string, T> = createRecord): NodeDiff | undefined {
	let applied: NodeDiff | undefined;

	if (isObject(diff.meta)) {
		const meta = (target.meta ??= createMap() as unknown as Meta) as Record<string, unknown>;
		const metaChange = mergeObject(meta, diff.meta, createMap);
		if (metaChange !== undefined) applied = { meta: metaChange as Meta };
		else if (isEmptyObject(meta)) delete target.meta;
	}

	const value = diff.value;
	if (value === undefined) return applied;

	if (isObject(value)) {
		// Over a leaf, children go into a new map that replaces the leaf only if one of them changes.
		const existing = isObject(target.value) ? (target.value as Record<string, Node>) : undefined;
		let children = existing;
		let changedChildren: Record<string, NodeDiff> | undefined;
		// Where every child changed exactly as its diff says, the diff itself is what changed.
		let whole = diff.meta === undefined;
		for (const key of Object.keys(value)) {
			const childDiff = value[key];
			let childChange: NodeDiff | undefined;
			if (isObject(childDiff)) {
				let child = existing?.[key];
				const created = child === undefined;
				if (child === undefined) child = { value: createMap<Node>() };
				childChange = mergeNode(child, childDiff as NodeDiff, createMap);
				if (childChange !== undefined && created) (children ??= createMap<Node>())[key] = child;
			}
			if (childChange !== childDiff) whole = false;
			if (childChange !== undefined) changedChildren = withKey(changedChildren, key, childChange);
		}
		if (changedChildren === undefined) return applied;
		target.value = children!;
		if (whole) return diff;
		(applied ??= {}).value = changedChildren;
		return applied;
	}

	if (!isObject(target.value) && leafEquals(target.value, value)) return applied;
	// The tree keeps its own copy of arrays, so nobody can change it by mutating what they wrote.
	target.value = cloneJson(value);
	if (diff.meta === undefined) return diff;
	(applied ??= {}).value = value;
	return applied;
}

/**
 * Merges one slice of a streamed subtree (see `Slice`) into `target` in place. Unlike
 * `mergeNode`, an object in the slice always makes an object, even an empty one: slices
 * describe nodes as they are, and an empty object is a node too.
 */
export function mergeSlice(target: Node, slice: NodeDiff): void {
	if (isObject(slice.meta)) {
		const meta = (target.meta ??= createRecord() as unknown as Meta) as Record<string, unknown>;
		mergeObject(meta, slice.meta);
		if (isEmptyObject(meta)) delete target.meta;
	}
	const value = slice.value;
	if (value === undefined) return;
	if (!isObject(value)) {
		target.value = cloneJson(value);
		return;
	}
	if (!isObject(target.value)) target.value = createRecord<Node>();
	const children = target.value as Record<string, Node>;
	for (const key of Object.keys(value)) {
		const childSlice = value[key];
		if (!isObject(childSlice)) continue;
		let child = children[key];
		if (child === undefined) children[key] = child = { value: createRecord<Node>() };
		mergeSlice(child, childSlice as NodeDiff);
	}
}

/**
 * Deep-merges plain objects (used for meta): objects merge, everything else replaces.
 * Returns what changed, or `undefined`.
 */
export function mergeObject(target: Record<string, unknown>, source: Record<string, unknown>, createMap: <T>() => Record<string, T> = createRecord): Record<string, unknown> | undefined {
	let changed: Record<string, unknown> | undefined;
	for (const key of Object.keys(source)) {
		const next = source[key];
		if (next === undefined) continue;
		if (isObject(next)) {
			let current = target[key];
			if (!isObject(current)) {
				if (isEmptyObject(next)) continue;
				current = target[key] = createMap();
			}
			const sub = mergeObject(current as Record<string, unknown>, next, createMap);
			if (sub !== undefined) (changed ??= {})[key] = sub;
		} else if (!leafEquals(target[key], next)) {
			target[key] = cloneJson(next);
			(changed ??= {})[key] = next;
		}
	}
	return changed;
}

/** Structural equality of JSON leaves (primitives, arrays, objects inside arrays). */
export function leafEquals(a: unknown, b: unknown): boolean {
	if (a === b) return true;
	if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
	if (Array.isArray(a)) {
		if (!Array.isArray(b) || a.length !== b.length) return false;
		for (let i = 0; i < a.length; i++) if (!leafEquals(a[i], b[i])) return false;
		return true;
	}
	if (Array.isArray(b)) return false;
	const aKeys = Object.keys(a);
	if (aKeys.length !== Object.keys(b).length) return false;
	for (const key of aKeys) {
		if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
		if (!leafEquals((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
	}
	return true;
}

/**
 * Wraps a node so it sits at `path` below the root.
 *
 * @example anchorAtPath(['a', 'b'], { value: 1 }) // { value: { a: { value: { b: { value: 1 } } } } }
 */
export function anchorAtPath(segments: readonly string[], node: NodeDiff): NodeDiff {
	let anchored = node;
	for (let i = segments.length - 1; i >= 0; i--) anchored = { value: objectWith(segments[i]!, anchored) };
	return anchored;
}

/** Follows `segments` down a diff; `undefined` when the diff does not reach that far. */
export function diffAt(diff: NodeDiff, segments: readonly string[]): NodeDiff | undefined {
	let current: NodeDiff | undefined = diff;
	for (const segment of segments) {
		if (current === undefined || !isObject(current.value)) return undefined;
		current = current.value[segment] as NodeDiff | undefined;
	}
	return current;
}

/** Copies a node tree into fresh plain objects (values are JSON, so this is exact). */
export function cloneNode<T extends NodeDiff>(node: T): T {
	const copy: NodeDiff = {};
	if (node.meta !== undefined) copy.meta = cloneJson(node.meta) as Meta;
	if (isObject(node.value)) {
		const children: Record<string, NodeDiff> = {};
		for (const key of Object.keys(node.value)) children[key] = cloneNode(node.value[key] as NodeDiff);
		copy.value = children;
	} else if (node.value !== undefined) {
		copy.value = cloneJson(node.value);
	} else if ((node as { sv?: unknown }).sv !== undefined) {
		// A server value of a write (see ServerValue).
		(copy as { sv?: unknown }).sv = cloneJson((node as { sv?: unknown }).sv);
	}
	return copy as T;
}

/** Copies a JSON value into fresh plain objects and arrays. */
export function cloneJson<T>(value: T): T {
	if (typeof value !== 'object' || value === null) return value;
	if (Array.isArray(value)) return value.map(cloneJson) as T;
	const copy: Record<string, unknown> = {};
	for (const key of Object.keys(value)) copy[key] = cloneJson((value as Record<string, unknown>)[key]);
	return copy as T;
}
