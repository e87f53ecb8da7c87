import { isObject, isServerValueNode, type Meta, type NodeDiff, type Store } from '@socketdb/core';

/** An increment resolved ahead of the hooks: where it is, by how much, and the number it made then. */
export type ResolvedIncrement = { segments: readonly string[]; delta: number; preview: number };

/*
 * Server values (`increment()`, `serverTimestamp()`) arrive as leaf nodes `{ sv }` in a write's
 * diff. A timestamp is filled in once, when the write arrives: with a shared log the entry then
 * carries the time, so every process applies the same value. An increment is filled in when the
 * write is applied, from what the store holds then, so concurrent increments all count; hooks
 * see it filled in ahead (a preview), and where they leave that preview as it was, the increment
 * stands.
 */

/** Fills in the timestamps of a root-anchored diff with `now`; increments stay. */
export function resolveTimestamps(diff: NodeDiff, now: number): NodeDiff {
	return mapServerValues(diff, [], (node) => (node.sv === 'timestamp' ? leaf(now, node.meta) : undefined));
}

/**
 * Fills in every server value of a root-anchored diff: timestamps with `now`, increments from
 * the store as it is now. Returns a new diff (the one given is left alone) and the increments.
 */
export function resolveServerValues(diff: NodeDiff, store: Store, now: number): { diff: NodeDiff; increments: ResolvedIncrement[] } {
	const increments: ResolvedIncrement[] = [];
	const resolved = mapServerValues(diff, [], (node, segments) => {
		if (node.sv === 'timestamp') return leaf(now, node.meta);
		const preview = incremented(store, segments, node.sv.increment);
		increments.push({ segments, delta: node.sv.increment, preview });
		return leaf(preview, node.meta);
	});
	return { diff: resolved, increments };
}

/** Fills in the increments of a root-anchored diff from the store as it is now (when it is applied). */
export function resolveIncrements(diff: NodeDiff, store: Store): NodeDiff {
	return mapServerValues(diff, [], (node, segments) => (node.sv === 'timestamp' ? undefined : leaf(incremented(store, segments, node.sv.increment), node.meta)));
}

/**
 * Puts the increments back into what the hooks decided, where they left the previewed number as
 * it was; where a hook wrote something else, its value stands.
 */
export function keepIncrements(decided: NodeDiff, increments: readonly ResolvedIncrement[]): NodeDiff {
	let result = decided;
	for (const { segments, delta, preview } of increments) {
		result = replaceAt(result, segments, 0, (node) => (node.value === preview ? withMeta({ sv: { increment: delta } }, node.meta) : node));
	}
	return result;
}

function incremented(store: Store, segments: readonly string[], delta: number): number {
	const current = store.get(segments.join('/'))?.value;
	return typeof current === 'number' ? current + delta : delta;
}

function leaf(value: unknown, meta: Meta | undefined): NodeDiff {
	return withMeta({ value }, meta);
}

function withMeta<T extends object>(node: T, meta: Meta | undefined): T & { meta?: Meta } {
	return meta === undefined ? node : { ...node, meta };
}

type ServerValueLeaf = Extract<NodeDiff, object> & { sv: 'timestamp' | { increment: number }; meta?: Meta };

/**
 * Copies the diff along the paths to its server values, replacing each by what `replace` returns
 * (or leaving it when that is undefined); parts without server values are shared, not copied.
 */
function mapServerValues(node: NodeDiff, segments: string[], replace: (node: ServerValueLeaf, segments: readonly string[]) => NodeDiff | undefined): NodeDiff {
	if (isServerValueNode(node)) return replace(node as ServerValueLeaf, [...segments]) ?? node;
	const value = node.value;
	if (!isObject(value)) return node;
	let children: Record<string, unknown> | undefined;
	for (const key in value) {
		const child = value[key] as NodeDiff;
		segments.push(key);
		const mapped = mapServerValues(child, segments, replace);
		segments.pop();
		if (mapped !== child) (children ??= { ...value })[key] = mapped;
	}
	return children === undefined ? node : { ...node, value: children };
}

function replaceAt(node: NodeDiff, segments: readonly string[], depth: number, replace: (node: NodeDiff) => NodeDiff): NodeDiff {
	if (depth === segments.length) return replace(node);
	const value = node.value;
	if (!isObject(value)) return node;
	const child = value[segments[depth]!] as NodeDiff | undefined;
	if (child === undefined) return node;
	const replaced = replaceAt(child, segments, depth + 1, replace);
	return replaced === child ? node : { ...node, value: { ...value, [segments[depth]!]: replaced } };
}
