import { createRecord, isObject, mergeNode, mergeSlice, parsePath, type DataOp, type Node, type NodeDiff } from '@socketdb/core';

/**
 * A streamed value being put together: `null` while nothing is at the path; `rev`, the revision
 * it is as of once complete (the stream's, or that of the last change applied to it).
 */
type Assembly = { node: Node | null; rev: number };

/**
 * Values the server streams in slices, put together apart from the mirror until the last slice
 * arrives, so listeners never see half a value. The parts are plain mutable nodes: a slice or
 * a change costs only its own size, where merging each slice into the mirror's persistent tree
 * would copy every large object it touches once per slice.
 */
export class SnapshotAssembly {
	readonly #assemblies = new Map<string, Assembly>();

	/** A stream of revision `rev` starts at `path` with its first slice; one already running there starts over. */
	start(path: string, first: NodeDiff | null, rev: number): void {
		const assembly: Assembly = { node: null, rev };
		if (first !== null) addSlice(assembly, first);
		this.#assemblies.set(path, assembly);
	}

	/** True while a value is being streamed at `path`. */
	has(path: string): boolean {
		return this.#assemblies.has(path);
	}

	/** Merges the next slice; false when no stream runs at `path`. */
	addSlice(path: string, slice: NodeDiff): boolean {
		const assembly = this.#assemblies.get(path);
		if (assembly === undefined) return false;
		addSlice(assembly, slice);
		return true;
	}

	/** Applies a change of the path (a DATA op) to the value being streamed. */
	apply(path: string, op: DataOp): void {
		const assembly = this.#assemblies.get(path);
		if (assembly === undefined) return;
		if (typeof op === 'string') return deleteAt(assembly, parsePath(op));
		const node = assembly.node ?? { value: createRecord<Node>() };
		if (mergeNode(node, op) !== undefined) assembly.node = node;
	}

	/** The changes applied to the value being streamed at `path` brought it to revision `rev`. */
	reached(path: string, rev: number): void {
		const assembly = this.#assemblies.get(path);
		if (assembly !== undefined && rev > assembly.rev) assembly.rev = rev;
	}

	/** The complete value and its revision, once the last slice arrived; the stream is forgotten. */
	finish(path: string): { node: Node | null; rev: number } | undefined {
		const assembly = this.#assemblies.get(path);
		this.#assemblies.delete(path);
		return assembly;
	}

	/** Forgets the stream at `path`, if any. */
	drop(path: string): void {
		this.#assemblies.delete(path);
	}

	/** Forgets every stream (the connection was lost: the server starts them over). */
	clear(): void {
		this.#assemblies.clear();
	}
}

function addSlice(assembly: Assembly, slice: NodeDiff): void {
	const node = assembly.node ?? { value: createRecord<Node>() };
	mergeSlice(node, slice);
	assembly.node = node;
}

function deleteAt(assembly: Assembly, segments: string[]): void {
	const last = segments.pop();
	if (last === undefined) {
		assembly.node = null;
		return;
	}
	let parent = assembly.node;
	for (const key of segments) {
		if (parent === null || !isObject(parent.value)) return;
		parent = (parent.value as Record<string, Node>)[key] ?? null;
	}
	if (parent !== null && isObject(parent.value)) delete (parent.value as Record<string, Node>)[last];
}
