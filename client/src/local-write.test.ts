import { anchorAtPath, createStore, joinPath, MessageType, nodeify, parsePath, type Node, type NodeDiff } from '@socketdb/core';
import { describe, expect, test } from 'vitest';
import { seededRandom, type Random } from '../../test/helpers/random';
import { randomDiff as randomTreeDiff, toNode, TREE_KEYS } from '../../test/helpers/random-tree';
import { applyWrite, masks, writeReaches, type LocalWrite } from './local-write';
import { childOf, childrenOf, emptyNode, keepEqual, mergePersistent, type TreeNode } from './persistent-tree';


const randomPath = (random: Random, min = 1) => Array.from({ length: min + random.int(3) }, () => random.pick(TREE_KEYS)).join('/');
const randomDiff = (random: Random) => randomTreeDiff(random, true, () => ({ tag: random.pick(['m', 'n']) }), 0.2);

/** A random write, as the client sends it (an update's paths never lie below one another). */
function randomWrite(random: Random, seq: number): LocalWrite {
	const kind = random.int(4);
	if (kind < 2) return { type: MessageType.SET, seq, path: randomPath(random), node: randomDiff(random) };
	if (kind < 3) return { type: MessageType.DELETE, seq, path: randomPath(random) };
	const deleted = random.chance(0.5) ? [randomPath(random)] : [];
	const written = randomPath(random);
	const node = deleted.some((path) => `${written}/`.startsWith(`${path}/`) || `${path}/`.startsWith(`${written}/`)) ? undefined : anchorAtPath(parsePath(written), randomDiff(random));
	return node === undefined ? { type: MessageType.UPDATE, seq, path: '', deleted } : { type: MessageType.UPDATE, seq, path: '', deleted, node };
}

/** The write applied to the server's in-memory store, as the server applies it. */
function applyToStore(store: ReturnType<typeof createStore>, write: LocalWrite): void {
	if (write.type === MessageType.SET) store.put(anchorAtPath(parsePath(write.path), write.node) as Node);
	else if (write.type === MessageType.DELETE) store.del(write.path);
	else {
		for (const path of write.deleted) store.del(joinPath(write.path, path));
		if (write.node !== undefined) store.put(anchorAtPath(parsePath(write.path), write.node) as Node);
	}
}

function nodeAt(root: TreeNode, path: string): TreeNode | undefined {
	let node: TreeNode | undefined = root;
	for (const key of parsePath(path)) node = childOf(node, key);
	return node;
}

describe('applyWrite', () => {
	for (const seed of [1, 2, 3]) {
		test(`applies sets, deletes and updates as the server's store does (seed ${seed})`, () => {
			const random = seededRandom(seed);
			for (let round = 0; round < 60; round++) {
				const store = createStore();
				let tree = emptyNode();
				for (let seq = 1; seq <= 12; seq++) {
					const write = randomWrite(random, seq);
					applyToStore(store, write);
					tree = applyWrite(tree, write);
					expect(toNode(tree), JSON.stringify(write)).toEqual(JSON.parse(JSON.stringify(store.get(''))));
				}
			}
		});
	}

	test('keeps the identity of what the write does not touch', () => {
		const root = mergePersistent(emptyNode(), nodeify({ users: { 1: { name: 'Ada' }, 2: { name: 'Bob' } }, rooms: { r: 1 } }) as NodeDiff)!;
		const set = applyWrite(root, { type: MessageType.SET, seq: 1, path: 'users/1/name', node: { value: 'Ann' } });
		expect(nodeAt(set, 'users/2')).toBe(nodeAt(root, 'users/2'));
		expect(nodeAt(set, 'rooms')).toBe(nodeAt(root, 'rooms'));
		const deleted = applyWrite(root, { type: MessageType.DELETE, seq: 2, path: 'users/1' });
		expect(nodeAt(deleted, 'users/2')).toBe(nodeAt(root, 'users/2'));
		expect(applyWrite(root, { type: MessageType.DELETE, seq: 3, path: 'nothing/here' })).toBe(root);
	});
});

describe('writeReaches', () => {
	for (const seed of [1, 2]) {
		test(`a write said not to reach a path leaves everything at and below it as it was (seed ${seed})`, () => {
			const random = seededRandom(seed);
			let checked = 0;
			for (let round = 0; round < 400; round++) {
				let tree = emptyNode();
				for (let i = 0; i < 4; i++) tree = applyWrite(tree, randomWrite(random, i));
				const write = randomWrite(random, 9);
				const path = randomPath(random, 0);
				if (writeReaches(write, path)) continue;
				checked++;
				const after = applyWrite(tree, write);
				const [before, now] = [nodeAt(tree, path), nodeAt(after, path)];
				expect(now === undefined ? undefined : toNode(now), `${JSON.stringify(write)} at ${path}`).toEqual(before === undefined ? undefined : toNode(before));
			}
			expect(checked).toBeGreaterThan(50);
		});
	}

	test('sets reach their path, the paths above, and below only where their diff goes', () => {
		const set = (path: string, data: unknown): LocalWrite => ({ type: MessageType.SET, seq: 1, path, node: nodeify(data as never) as NodeDiff });
		expect(writeReaches(set('a/b', { c: 1 }), 'a/b')).toBe(true);
		expect(writeReaches(set('a/b', { c: 1 }), 'a')).toBe(true);
		expect(writeReaches(set('a/b', { c: 1 }), '')).toBe(true);
		expect(writeReaches(set('a/b', { c: 1 }), 'a/b/c')).toBe(true);
		expect(writeReaches(set('a/b', { c: 1 }), 'a/b/c/d')).toBe(true);
		expect(writeReaches(set('a/b', { c: 1 }), 'a/b/d')).toBe(false);
		expect(writeReaches(set('a/b', 5), 'a/b/d')).toBe(true);
		expect(writeReaches(set('a/b', { c: 1 }), 'a/bc')).toBe(false);
		expect(writeReaches(set('a/b', { c: 1 }), 'x')).toBe(false);
		expect(writeReaches({ type: MessageType.SET, seq: 1, path: 'a', node: { meta: { m: 1 } } }, 'a/b')).toBe(false);
	});

	test('deletes reach the paths at, above and below them; updates reach what any of their parts reaches', () => {
		const del: LocalWrite = { type: MessageType.DELETE, seq: 1, path: 'a/b' };
		expect(['a/b', 'a', '', 'a/b/c'].map((path) => writeReaches(del, path))).toEqual([true, true, true, true]);
		expect(['a/c', 'a/bc', 'b'].map((path) => writeReaches(del, path))).toEqual([false, false, false]);
		const update: LocalWrite = { type: MessageType.UPDATE, seq: 2, path: '', deleted: ['x/y'], node: anchorAtPath(['a', 'b'], { value: 1 }) };
		expect(['x', 'x/y/z', 'a', 'a/b', 'a/b/c', ''].map((path) => writeReaches(update, path))).toEqual([true, true, true, true, true, true]);
		expect(['x/z', 'a/c', 'b'].map((path) => writeReaches(update, path))).toEqual([false, false, false]);
	});
});

/** A diff that writes over all of `diff`: its keys again (with other values, some replaced by leaves), its meta keys again. */
function coverOf(random: Random, diff: NodeDiff): NodeDiff {
	const cover: NodeDiff = {};
	if (diff.meta !== undefined) cover.meta = { ...Object.fromEntries(Object.keys(diff.meta).map((key) => [key, random.pick(['m', 'n', { deep: 1 }])])), ...(random.chance(0.3) ? { extra: 1 } : {}) };
	const value = diff.value;
	if (value !== null && typeof value === 'object' && !Array.isArray(value) && !random.chance(0.2)) {
		const children: Record<string, NodeDiff> = {};
		for (const [key, child] of Object.entries(value)) children[key] = coverOf(random, child as NodeDiff);
		if (random.chance(0.3)) children[random.pick(['d', 'e'])] = { value: random.int(3) };
		cover.value = children;
	} else {
		cover.value = random.pick([1, 'z', [2], true]);
	}
	return cover;
}

describe('masks', () => {
	for (const seed of [1, 2, 3]) {
		test(`a write that masks an earlier one gives alone what both give (seed ${seed})`, () => {
			const random = seededRandom(seed);
			let masked = 0;
			for (let round = 0; round < 400; round++) {
				let tree = emptyNode();
				for (let i = 0; i < 4; i++) tree = applyWrite(tree, randomWrite(random, i));
				const earlier = random.chance(0.8) ? ({ type: MessageType.SET, seq: 10, path: randomPath(random), node: randomDiff(random) } as const) : randomWrite(random, 10);
				const later: LocalWrite = random.chance(0.7) && earlier.type === MessageType.SET
					? { type: MessageType.SET, seq: 11, path: earlier.path, node: coverOf(random, earlier.node) }
					: random.chance(0.5) ? { type: MessageType.DELETE, seq: 11, path: earlier.path } : randomWrite(random, 11);
				if (!masks(later, earlier)) continue;
				masked++;
				const both = applyWrite(applyWrite(tree, earlier), later);
				expect(toNode(both), `${JSON.stringify(earlier)} then ${JSON.stringify(later)}`).toEqual(toNode(applyWrite(tree, later)));
			}
			expect(masked).toBeGreaterThan(150);
		});
	}

	test('only a later write of the same path, over everything the earlier one wrote', () => {
		const set = (path: string, data: unknown, meta?: Record<string, unknown>): LocalWrite => {
			const node = nodeify(data as never) as NodeDiff;
			if (meta !== undefined) node.meta = meta;
			return { type: MessageType.SET, seq: 1, path, node };
		};
		expect(masks(set('a', { x: 1, y: 2 }), set('a', { x: 0 }))).toBe(true);
		expect(masks(set('a', 5), set('a', { x: 0 }))).toBe(true);
		expect(masks({ type: MessageType.DELETE, seq: 2, path: 'a/b' }, set('a/b', { x: 0 }))).toBe(false);
		expect(masks(set('a', { x: 1 }), set('a', { x: 0, y: 0 }))).toBe(false);
		expect(masks(set('a', { x: 1 }), set('b', { x: 0 }))).toBe(false);
		expect(masks(set('a', { x: 1 }), set('a', 3))).toBe(false);
		expect(masks(set('a', { x: 1 }), set('a', { x: 0 }, { by: 'me' }))).toBe(false);
		expect(masks(set('a', { x: 1 }, { by: 'you' }), set('a', { x: 0 }, { by: 'me' }))).toBe(true);
		expect(masks(set('a', 1), { type: MessageType.DELETE, seq: 2, path: 'a' })).toBe(false);
	});
});

describe('keepEqual', () => {
	const tree = (data: unknown) => mergePersistent(emptyNode(), nodeify(data as never) as NodeDiff)!;

	test('takes every equal part from the previous tree, and the previous tree itself when all is equal', () => {
		const previous = tree({ a: { x: 1 }, b: { y: [1, 2] }, c: 3 });
		expect(keepEqual(tree({ a: { x: 1 }, b: { y: [1, 2] }, c: 3 }), previous)).toBe(previous);
		const next = keepEqual(tree({ a: { x: 1 }, b: { y: [1, 3] }, c: 3 }), previous);
		expect(next).not.toBe(previous);
		expect(toNode(next)).toEqual(toNode(tree({ a: { x: 1 }, b: { y: [1, 3] }, c: 3 })));
		expect(childOf(next, 'a')).toBe(childOf(previous, 'a'));
		expect(childOf(next, 'c')).toBe(childOf(previous, 'c'));
		expect(childOf(next, 'b')).not.toBe(childOf(previous, 'b'));
	});

	test('the order of keys and meta count as part of a node', () => {
		const previous = tree({ a: 1, b: 2 });
		const reordered = keepEqual(tree({ b: 2, a: 1 }), previous);
		expect(reordered).not.toBe(previous);
		expect([...childrenOf(reordered)!.keys()]).toEqual(['b', 'a']);
		expect(childOf(reordered, 'a')).toBe(childOf(previous, 'a'));
		const withMeta = mergePersistent(tree({ a: 1, b: 2 }), { meta: { m: 1 } })!;
		expect(keepEqual(withMeta, previous)).not.toBe(previous);
		expect(keepEqual(withMeta, previous).meta).toEqual({ m: 1 });
	});
});
