import { cloneNode, estimateBytes, isObject, mergeNode, parsePath, type DataOp, type Node, type NodeDiff } from '@socketdb/core';
import type { HistoryChange } from './change-history';
import { canMerge } from './fanout';

/**
 * How many times `maxBytes` of changes a delta may look at: merging shrinks what is sent (a leaf
 * written a thousand times is one op), so more than `maxBytes` is read before giving up.
 */
const MERGE_ALLOWANCE = 16;

/** A delta: the ops that bring a subscribed path up to date, and their size as estimated for the wire. */
export type Delta = { ops: DataOp[]; bytes: number };

/**
 * What the changes in `changes` (in commit order) mean for the subscription at `path`: the ops a
 * client holding the path's value from before them applies, as DATA's ops are applied. The same
 * projection the fan-out makes: the part of a diff at or below the path, merged at the path; a
 * deletion at or above it `''`, below it the path relative to it. Consecutive diffs are merged
 * where that gives the same result. `undefined` when the ops would take more than `maxBytes`.
 */
export function deltaOps(changes: Iterable<HistoryChange>, path: string, maxBytes: number): Delta | undefined {
	const segments = parsePath(path);
	const ops: DataOp[] = [];
	let ownsLast = false;
	let looked = 0;
	for (const change of changes) {
		const op = projectChange(change, segments);
		if (op === undefined) continue;
		if (op === '') {
			// The path itself was deleted: nothing before matters.
			ops.length = 0;
			ops.push('');
			ownsLast = false;
			continue;
		}
		looked += opBytes(op);
		if (looked > maxBytes * MERGE_ALLOWANCE) return undefined;
		const last = ops[ops.length - 1];
		if (typeof op !== 'string' && last !== undefined && typeof last !== 'string' && canMerge(last, op)) {
			// The history's diffs are shared: merge into a copy.
			const target = ownsLast ? last : cloneNode(last);
			mergeNode(target as Node, op);
			ops[ops.length - 1] = target;
			ownsLast = true;
		} else {
			ops.push(op);
			ownsLast = false;
		}
	}
	let bytes = 0;
	for (const op of ops) bytes += opBytes(op);
	return bytes > maxBytes ? undefined : { ops, bytes };
}

/** One change as an op of the subscription at `segments`, or `undefined` when it does not touch it. */
export function projectChange(change: HistoryChange, segments: readonly string[]): DataOp | undefined {
	if (change.diff === undefined) {
		const deleted = parsePath(change.deleted);
		const common = Math.min(deleted.length, segments.length);
		for (let index = 0; index < common; index++) if (deleted[index] !== segments[index]) return undefined;
		return deleted.length <= segments.length ? '' : deleted.slice(segments.length).join('/');
	}
	let diff = change.diff;
	for (const key of segments) {
		const value = diff.value;
		if (value === undefined) return undefined;
		// A leaf took the place of an object above the path: the path is gone.
		if (!isObject(value)) return '';
		const child = value[key];
		if (child === undefined) return undefined;
		diff = child as NodeDiff;
	}
	return diff;
}

/** The size of a change as it travels (estimated, without encoding it). */
export function changeBytes(change: HistoryChange): number {
	return change.diff === undefined ? change.deleted.length + 3 : diffBytes(change.diff);
}

function opBytes(op: DataOp): number {
	return typeof op === 'string' ? op.length + 3 : diffBytes(op);
}

/** A diff's (or a node's) size in its compact wire form, estimated as the slices of a snapshot are. */
export function diffBytes(diff: NodeDiff): number {
	let bytes = 3;
	if (diff.meta !== undefined) bytes += estimateBytes(diff.meta) + 8;
	const value = diff.value;
	if (isObject(value)) {
		for (const key in value) bytes += key.length + 3 + diffBytes(value[key] as NodeDiff);
	} else if (value !== undefined) {
		bytes += estimateBytes(value);
	}
	return bytes;
}
