import { anchorAtPath, cloneNode, createStore, joinPath, nodeify, parsePath, type DataOp, type Node, type NodeDiff } from '@socketdb/core';
import { describe, expect, test } from 'vitest';
import { randomPath, randomValue, seededRandom } from '../../test/helpers/random';
import type { HistoryChange } from './change-history';
import { deltaOps, projectChange } from './delta';

const plain = (value: unknown) => JSON.parse(JSON.stringify(value ?? null)) as unknown;
const diff = (data: unknown, at = ''): HistoryChange => ({ diff: anchorAtPath(parsePath(at), nodeify(data as never)) });
const deleted = (path: string): HistoryChange => ({ deleted: path });

describe('projectChange: what a change means for one subscribed path', () => {
	const at = parsePath('users/1');

	test('the part of a diff at or below the path, or nothing when the diff does not reach it', () => {
		expect(projectChange(diff({ name: 'Ada' }, 'users/1'), at)).toEqual(nodeify({ name: 'Ada' }));
		expect(projectChange(diff('Ada', 'users/1/name'), at)).toEqual(nodeify({ name: 'Ada' }));
		expect(projectChange(diff(5, 'users/1'), at)).toEqual({ value: 5 });
		expect(projectChange(diff({ x: 1 }, 'users/2'), at)).toBeUndefined();
		expect(projectChange(diff(1, 'other'), at)).toBeUndefined();
		expect(projectChange({ diff: { meta: { by: 'x' } } }, at)).toBeUndefined();
		expect(projectChange({ diff: { value: { users: { meta: { by: 'x' } } } } }, at)).toBeUndefined();
		expect(projectChange({ diff: anchorAtPath(['users', '1'], { meta: { by: 'x' } }) }, at)).toEqual({ meta: { by: 'x' } });
	});

	test('a leaf that took the place of an object above the path deletes the path', () => {
		expect(projectChange(diff('gone', 'users'), at)).toBe('');
		expect(projectChange({ diff: { value: 'root leaf' } as NodeDiff }, at)).toBe('');
	});

	test('a deletion at or above the path is the path itself (""), below it the path relative to it', () => {
		expect(projectChange(deleted('users/1'), at)).toBe('');
		expect(projectChange(deleted('users'), at)).toBe('');
		expect(projectChange(deleted(''), at)).toBe('');
		expect(projectChange(deleted('users/1/name'), at)).toBe('name');
		expect(projectChange(deleted('users/1/a/b'), at)).toBe('a/b');
		expect(projectChange(deleted('users/2'), at)).toBeUndefined();
		expect(projectChange(deleted('users/10'), at)).toBeUndefined();
		expect(projectChange(deleted('other/1/name'), at)).toBeUndefined();
	});

	test('at the root every change is its own op', () => {
		expect(projectChange(diff({ a: 1 }), [])).toEqual(nodeify({ a: 1 }));
		expect(projectChange(deleted('a/b'), [])).toBe('a/b');
		expect(projectChange(deleted(''), [])).toBe('');
	});
});

describe('deltaOps', () => {
	test('merges consecutive diffs where that gives the same result, without changing the history', () => {
		const changes = [diff(1, 'p/a'), diff(2, 'p/a'), diff(3, 'p/b')];
		const before = plain(changes);
		const delta = deltaOps(changes, 'p', 1_000)!;
		expect(plain(delta.ops)).toEqual([{ value: { a: { value: 2 }, b: { value: 3 } } }]);
		expect(plain(changes)).toEqual(before);
	});

	test('keeps apart what merging would change: a leaf turned back into an object, deletions in between', () => {
		const delta = deltaOps([diff('leaf', 'p/a'), diff({ x: 1 }, 'p/a'), deleted('p/b'), diff(1, 'p/c')], 'p', 1_000)!;
		expect(plain(delta.ops)).toEqual([{ value: { a: { value: 'leaf' } } }, { value: { a: { value: { x: { value: 1 } } } } }, 'b', { value: { c: { value: 1 } } }]);
	});

	test('a deletion of the path itself makes everything before it moot', () => {
		const delta = deltaOps([diff(1, 'p/a'), deleted('p/b'), deleted('p'), diff(2, 'p/c')], 'p', 1_000)!;
		expect(plain(delta.ops)).toEqual(['', { value: { c: { value: 2 } } }]);
	});

	test('no change at the path: no ops, nothing to send', () => {
		expect(deltaOps([diff(1, 'q'), deleted('r')], 'p', 1_000)).toEqual({ ops: [], bytes: 0 });
		expect(deltaOps([], 'p', 1_000)).toEqual({ ops: [], bytes: 0 });
	});

	test('undefined when the ops take more than maxBytes; a leaf written many times is one op', () => {
		const text = 'x'.repeat(100);
		expect(deltaOps([diff(text, 'p/a'), diff(text, 'p/b')], 'p', 150)).toBeUndefined();
		// 1,000 writes of about 20 bytes each: merged into one op of about 20 bytes.
		const many = Array.from({ length: 1_000 }, (_, i) => diff(i, 'p/counter'));
		const delta = deltaOps(many, 'p', 2_000)!;
		expect(plain(delta.ops)).toEqual([{ value: { counter: { value: 999 } } }]);
		expect(delta.bytes).toBeLessThan(30);
		// Looking at changes is bounded too: at most 16 times maxBytes of them.
		expect(deltaOps(many, 'p', 1_000)).toBeUndefined();
	});

	test('the estimate is near the encoded size', () => {
		const delta = deltaOps([diff({ name: 'Ada Lovelace', born: 1815, tags: ['math', 'poetry'] }, 'p/1'), deleted('p/2')], 'p', 1_000)!;
		expect(delta.bytes).toBeGreaterThan(40);
		expect(delta.bytes).toBeLessThan(100);
	});
});

/**
 * Random writes and deletes on a store; for every revision r and a few paths, a client holding
 * the path's value as of r that applies deltaOps of the changes since r (as it applies DATA)
 * ends with the store's value now.
 */
function replay(seed: number): void {
	const random = seededRandom(seed);
	const store = createStore();
	const roots: Node[] = [cloneNode(store.get('')!)];
	const changes: HistoryChange[] = [];
	for (let step = 0; step < 60; step++) {
		const path = randomPath(random);
		if (random.chance(0.25)) {
			const target = random.chance(0.1) ? '' : path;
			store.del(target);
			changes.push(deleted(target));
		} else {
			// No nulls: a node whose value is null reads as missing but keeps its meta, which
			// reappears when it becomes an object again; a client never saw it, delta or not.
			const node: NodeDiff = nodeify(withoutNulls(randomValue(random)) as never);
			if (random.chance(0.2)) node.meta = { step };
			const applied = store.put(anchorAtPath(parsePath(path), node) as Node);
			changes.push({ diff: applied });
		}
		roots.push(cloneNode(store.get('')!));
	}
	for (const path of ['', 'a', 'a/b', 'b/c/a', 'c']) {
		for (let since = 0; since < roots.length; since += 1 + random.int(4)) {
			const mirror = createStore();
			const start = nodeAt(roots[since]!, path);
			if (start !== null) mirror.put(anchorAtPath(parsePath(path), cloneNode(start)) as Node);
			const delta = deltaOps(changes.slice(since), path, Number.MAX_SAFE_INTEGER)!;
			for (const op of delta.ops) applyOp(mirror, path, op);
			expect(plain(mirror.get(path)), `seed ${seed}, path "${path}", since ${since}`).toEqual(plain(store.get(path)));
		}
	}
}

const withoutNulls = (value: unknown) => JSON.parse(JSON.stringify(value, (_key, item: unknown) => (item === null ? 0 : item))) as unknown;

function nodeAt(root: Node, path: string): Node | null {
	let node: Node | undefined = root;
	for (const key of parsePath(path)) {
		const children: unknown = node?.value;
		node = children !== null && typeof children === 'object' && !Array.isArray(children) ? (children as Record<string, Node>)[key] : undefined;
	}
	return node === undefined || node.value === null ? null : node;
}

function applyOp(mirror: ReturnType<typeof createStore>, path: string, op: DataOp): void {
	if (typeof op === 'string') mirror.del(joinPath(path, op));
	else mirror.put(anchorAtPath(parsePath(path), op) as Node);
}

describe('a value plus the delta since its revision is the value now (seeded; a failure names its seed)', () => {
	for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) test(`seed ${seed}`, () => replay(seed));
});
