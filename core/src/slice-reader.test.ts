import { describe, expect, test } from 'vitest';
import { cloneNode, mergeSlice } from './merge';
import { nodeify, type Node, type NodeDiff } from './node';
import { estimateBytes, openSliceReader, readFirstSlice, type SliceBudget, type SliceReader } from './slice-reader';
import { createStore, type Store } from './store';

const BUDGET: SliceBudget = { nodes: 50, bytes: 2_000 };

/** `users/<i>/<field>`: `users` objects of `fields` leaves each, one with meta, one empty object. */
function bigTree(users: number, fields: number): Record<string, unknown> {
	const tree: Record<string, Record<string, unknown>> = {};
	for (let u = 0; u < users; u++) {
		const user: Record<string, unknown> = {};
		for (let f = 0; f < fields; f++) user[`f${f}`] = f % 3 === 0 ? `value ${u}/${f}` : u * 1000 + f;
		tree[`u${u}`] = user;
	}
	return { users: tree, empty: {}, list: [1, [2, 3], { x: 4 }], nothing: null };
}

function filledStore(data: unknown): Store {
	const store = createStore();
	store.put(nodeify(data as never));
	store.put({ value: { users: { value: { none: { value: {}, meta: { by: 'ada' } } } } }, meta: { root: true } });
	return store;
}

/** Reads every slice, copying each at once as encoding would, and merges them. */
function readAll(reader: SliceReader, budget = BUDGET, between?: (index: number) => void): { merged: Node | null; slices: NodeDiff[] } {
	const slices: NodeDiff[] = [];
	let merged: Node | null = null;
	for (let index = 0; ; index++) {
		const slice = reader.next(budget);
		if (slice.node !== null) {
			const copy = cloneNode(slice.node);
			slices.push(copy);
			if (merged === null) merged = { value: {} } as Node;
			mergeSlice(merged, copy);
		}
		if (slice.done) return { merged, slices };
		between?.(index);
	}
}

/** Nodes in a slice that are not bare containers (an object without meta whose only content is children it holds). */
function countNodes(node: NodeDiff): number {
	if (node.value === null || typeof node.value !== 'object' || Array.isArray(node.value)) return 1;
	let count = 0;
	for (const child of Object.values(node.value as Record<string, NodeDiff>)) count += countNodes(child);
	return count;
}

describe('reading the in-memory store in slices', () => {
	test('the merged slices equal the subtree, and each slice stays near its budget', () => {
		const store = filledStore(bigTree(40, 30));
		const { merged, slices } = readAll(openSliceReader(store, ''));
		expect(merged).toEqual(JSON.parse(JSON.stringify(store.get(''))));
		expect(slices.length).toBeGreaterThan(20);
		for (const slice of slices) {
			expect(countNodes(slice)).toBeLessThanOrEqual(BUDGET.nodes + 1);
			expect(estimateBytes(slice)).toBeLessThan(BUDGET.bytes * 2);
		}
	});

	test('a subtree below the root, with its meta and empty objects', () => {
		const store = filledStore(bigTree(10, 30));
		const { merged } = readAll(openSliceReader(store, 'users'));
		expect(merged).toEqual(JSON.parse(JSON.stringify(store.get('users'))));
		expect(merged!.value.none).toEqual({ value: {}, meta: { by: 'ada' } });
	});

	test('a small value is one slice: the node itself', () => {
		const store = filledStore(bigTree(2, 3));
		const reader = openSliceReader(store, 'users/u1');
		const slice = reader.next(BUDGET);
		expect(slice.done).toBe(true);
		expect(slice.node).toBe(store.get('users/u1'));
	});

	test('readFirstSlice: a small value is the live node, with no reader; a large one comes with the reader for the rest', () => {
		const store = filledStore(bigTree(30, 30));
		const small = readFirstSlice(store, 'users/u1', BUDGET);
		expect(small).toEqual({ node: store.get('users/u1'), done: true });
		expect(small.node).toBe(store.get('users/u1'));
		expect(readFirstSlice(store, 'users/u99', BUDGET)).toEqual({ node: null, done: true });
		const large = readFirstSlice(store, 'users', BUDGET);
		expect(large.done).toBe(false);
		const merged: Node = { value: {} };
		mergeSlice(merged, cloneNode(large.node!));
		mergeSlice(merged, readAll(large.rest!).merged!);
		expect(merged).toEqual(JSON.parse(JSON.stringify(store.get('users'))));
	});

	test('a leaf, a missing path and a null are one slice', () => {
		const store = filledStore(bigTree(2, 3));
		expect(openSliceReader(store, 'users/u1/f1').next(BUDGET)).toEqual({ node: { value: 1001 }, done: true });
		expect(openSliceReader(store, 'users/u9').next(BUDGET)).toEqual({ node: null, done: true });
		expect(openSliceReader(store, 'nothing').next(BUDGET)).toEqual({ node: null, done: true });
	});

	test('a leaf larger than the budget still makes progress', () => {
		const store = createStore();
		store.put(nodeify({ a: 'x'.repeat(10_000), b: 'y'.repeat(10_000), c: 1 }));
		const { merged, slices } = readAll(openSliceReader(store, ''), { nodes: 10, bytes: 100 });
		expect(merged).toEqual(JSON.parse(JSON.stringify(store.get(''))));
		expect(slices.length).toBe(3);
	});

	test('reads the tree as it is at each slice: deleted parts are skipped, replaced objects are read anew', () => {
		const store = filledStore(bigTree(30, 30));
		const { merged } = readAll(openSliceReader(store, ''), BUDGET, (index) => {
			if (index === 2) store.del('users/u20');
			if (index === 4) store.del('users/u1/f29');
			if (index === 6) store.put(nodeify({ users: { u25: 'now a leaf' } }));
			if (index === 8) {
				store.del('users/u28');
				store.put(nodeify({ users: { u28: { f0: 'new', f29: 'also new' } } }));
			}
		});
		const users = (merged!.value.users as Node).value as Record<string, Node>;
		expect(users['u20']).toBeUndefined();
		expect(users['u25']).toEqual({ value: 'now a leaf' });
		expect(users['u28']).toEqual(nodeify({ f0: 'new', f29: 'also new' }));
	});
});

describe('stores with neither slices nor a live tree', () => {
	function copyingStore(): Store {
		const inner = createStore();
		return { get: (path) => JSON.parse(JSON.stringify(inner.get(path))) as Node | null, put: (diff) => inner.put(diff), del: (path) => inner.del(path) };
	}

	test('one get, cut into slices that show the subtree as it was then', () => {
		const store = copyingStore();
		store.put(nodeify(bigTree(20, 20) as never));
		const before = store.get('');
		const reader = openSliceReader(store, '');
		expect(reader.readAtOpen).toBe(true);
		const { merged, slices } = readAll(reader, BUDGET, () => store.del('users'));
		expect(slices.length).toBeGreaterThan(5);
		expect(merged).toEqual(before);
	});

	test('the in-memory store is walked live', () => {
		expect(openSliceReader(createStore(), '').readAtOpen).toBe(false);
	});

	test('children under keys that objects inherit (toString) are read as the store holds them', () => {
		const store = copyingStore();
		store.put(nodeify({ a: { toString: 1, valueOf: { constructor2: 2 } }, b: 'x'.repeat(200) } as never));
		const { merged } = readAll(openSliceReader(store, ''), { nodes: 2, bytes: 50 });
		expect(merged).toEqual(store.get(''));
	});
});
