import { describe, expect, test } from 'vitest';
import { nodeify } from '@socketdb/core';
import type { Node, NodeDiff } from '@socketdb/core';
import { Mirror } from './mirror';

const node = (data: unknown): Node => nodeify(data as never);
const at = (mirror: Mirror, path: string) => mirror.nodeAt(path === '' ? [] : path.split('/'));
const dataAt = (mirror: Mirror, path: string) => mirror.dataOf(at(mirror, path));

/** Paths (below `value`) of objects and arrays that are not frozen. */
function unfrozen(value: unknown, path = ''): string[] {
	if (typeof value !== 'object' || value === null) return [];
	const found = Object.isFrozen(value) ? [] : [path || '(root)'];
	for (const key of Object.keys(value)) found.push(...unfrozen((value as Record<string, unknown>)[key], `${path}/${key}`));
	return found;
}

describe('merge', () => {
	test('merges a diff at a path', () => {
		const mirror = new Mirror();
		mirror.merge('users/1', node({ name: 'Ada', age: 36 }));
		mirror.merge('users/1', node({ age: 37 }));
		mirror.merge('users/2', node({ name: 'Bob' }));
		expect(dataAt(mirror, 'users')).toEqual({ 1: { name: 'Ada', age: 37 }, 2: { name: 'Bob' } });
		expect(dataAt(mirror, 'users/1/age')).toBe(37);
	});

	test('merges at the root', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: { b: 1 } }));
		mirror.merge('', node({ a: { c: 2 } }));
		expect(dataAt(mirror, '')).toEqual({ a: { b: 1, c: 2 } });
	});

	test('follows the merge rules: leaves replace, objects replacing leaves keep only new keys', () => {
		const mirror = new Mirror();
		mirror.merge('a', node({ b: { c: 1 }, list: [1, 2] }));
		mirror.merge('a', node({ b: 'leaf', list: [3] }));
		expect(dataAt(mirror, 'a')).toEqual({ b: 'leaf', list: [3] });
		mirror.merge('a', node({ b: { d: 1 } }));
		expect(dataAt(mirror, 'a/b')).toEqual({ d: 1 });
	});

	test('merges a leaf at a path', () => {
		const mirror = new Mirror();
		mirror.merge('a/b', { value: 5 });
		expect(dataAt(mirror, 'a')).toEqual({ b: 5 });
		expect(dataAt(mirror, 'a/b')).toBe(5);
	});

	test('keeps meta', () => {
		const mirror = new Mirror();
		mirror.merge('a', { value: { b: { value: 1 } }, meta: { updated: 1 } });
		mirror.merge('a', { meta: { by: 'ada' } });
		expect(mirror.metaOf(at(mirror, 'a'))).toEqual({ updated: 1, by: 'ada' });
		expect(dataAt(mirror, 'a')).toEqual({ b: 1 });
	});

	test('a merge that changes nothing keeps the root', () => {
		const mirror = new Mirror();
		mirror.merge('a', node({ b: 1, c: [1, 2] }));
		const before = at(mirror, '');
		const data = dataAt(mirror, '');
		mirror.merge('a', node({ b: 1, c: [1, 2] }));
		expect(at(mirror, '')).toBe(before);
		expect(dataAt(mirror, '')).toBe(data);
	});

	test('does not keep the diff it was given', () => {
		const mirror = new Mirror();
		const diff = node({ b: { c: 1 } }) as NodeDiff;
		mirror.merge('a', diff);
		((diff.value as Record<string, Node>)['b']!.value as Record<string, Node>)['c']!.value = 'changed';
		expect(dataAt(mirror, 'a')).toEqual({ b: { c: 1 } });
	});
});

describe('delete', () => {
	test('removes a subtree and the key from its parent', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: { b: { c: 1 }, d: 2 } }));
		mirror.delete('a/b');
		expect(dataAt(mirror, 'a')).toEqual({ d: 2 });
		expect(at(mirror, 'a/b')).toBeUndefined();
		expect(dataAt(mirror, 'a/b')).toBeNull();
	});

	test("delete('') empties everything", () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: 1, b: { c: 2 } }));
		mirror.delete('');
		expect(dataAt(mirror, '')).toEqual({});
		expect(at(mirror, 'a')).toBeUndefined();
	});

	test('deleting a missing path changes nothing', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: { b: 1 } }));
		const before = at(mirror, '');
		mirror.delete('x');
		mirror.delete('a/x/y');
		mirror.delete('a/b/c');
		expect(at(mirror, '')).toBe(before);
	});

	test('keeps the identity of the siblings', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: { x: 1 }, b: { y: 2 } }));
		const b = dataAt(mirror, 'b');
		mirror.delete('a');
		expect(dataAt(mirror, 'b')).toBe(b);
	});
});

describe('replace', () => {
	test('replaces a path with the given node', () => {
		const mirror = new Mirror();
		mirror.merge('a', node({ old: 1, kept: 2 }));
		mirror.replace('a', node({ kept: 2, fresh: 3 }));
		expect(dataAt(mirror, 'a')).toEqual({ kept: 2, fresh: 3 });
	});

	test('replaces meta too', () => {
		const mirror = new Mirror();
		mirror.merge('a', { value: { b: { value: 1 } }, meta: { x: 1 } });
		mirror.replace('a', { value: { b: { value: 1 } }, meta: { y: 2 } });
		expect(mirror.metaOf(at(mirror, 'a'))).toEqual({ y: 2 });
	});

	test('null deletes the path', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: { b: 1 }, c: 1 }));
		mirror.replace('a', null);
		expect(dataAt(mirror, '')).toEqual({ c: 1 });
	});

	test('replaces the root', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: 1, b: 2 }));
		mirror.replace('', node({ c: 3 }));
		expect(dataAt(mirror, '')).toEqual({ c: 3 });
	});

	test('creates the path when missing', () => {
		const mirror = new Mirror();
		mirror.replace('a/b', node({ c: 1 }));
		expect(dataAt(mirror, '')).toEqual({ a: { b: { c: 1 } } });
	});

	test('replacing with equal data keeps every identity (nothing changes)', () => {
		const mirror = new Mirror();
		mirror.merge('', { value: { a: { value: { b: { value: [1, { c: 2 }] }, d: { value: null } }, meta: { m: { n: 1 } } }, e: { value: 'x' } } });
		const root = at(mirror, '');
		const data = dataAt(mirror, '');
		const a = dataAt(mirror, 'a');
		mirror.replace('a', { value: { b: { value: [1, { c: 2 }] }, d: { value: null } }, meta: { m: { n: 1 } } });
		expect(at(mirror, '')).toBe(root);
		expect(dataAt(mirror, '')).toBe(data);
		expect(dataAt(mirror, 'a')).toBe(a);
		mirror.replace('', { value: { a: { value: { b: { value: [1, { c: 2 }] }, d: { value: null } }, meta: { m: { n: 1 } } }, e: { value: 'x' } } });
		expect(at(mirror, '')).toBe(root);
		expect(dataAt(mirror, '')).toBe(data);
	});

	test('replacing keeps the identity of the parts that did not change', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: { same: { deep: [1] }, changed: 1 }, other: { x: 1 } }));
		const same = dataAt(mirror, 'a/same');
		const other = dataAt(mirror, 'other');
		const a = dataAt(mirror, 'a');
		mirror.replace('a', node({ same: { deep: [1] }, changed: 2 }));
		expect(dataAt(mirror, 'a/same')).toBe(same);
		expect(dataAt(mirror, 'other')).toBe(other);
		expect(dataAt(mirror, 'a')).not.toBe(a);
		expect(dataAt(mirror, 'a')).toEqual({ same: { deep: [1] }, changed: 2 });
	});

	test('a changed meta is a change', () => {
		const mirror = new Mirror();
		mirror.merge('a', { value: 1, meta: { v: 1 } });
		const root = at(mirror, '');
		mirror.replace('a', { value: 1, meta: { v: 2 } });
		expect(at(mirror, '')).not.toBe(root);
		expect(mirror.metaOf(at(mirror, 'a'))).toEqual({ v: 2 });
	});

	test('does not keep the node it was given mutable', () => {
		const mirror = new Mirror();
		const given = node({ b: { c: 1 } });
		mirror.replace('a', given);
		try {
			((given.value as Record<string, Node>)['b']!.value as Record<string, Node>)['c']!.value = 'changed';
		} catch {
			// Frozen: fine.
		}
		expect(dataAt(mirror, 'a')).toEqual({ b: { c: 1 } });
	});
});

describe('retain', () => {
	test('keeps the listed subtrees, with their identity, and forgets the rest', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: { b: { x: 1 }, c: { d: { y: 2 }, e: 3 }, f: 4 }, other: 5 }));
		const b = at(mirror, 'a/b');
		const d = at(mirror, 'a/c/d');
		const bData = dataAt(mirror, 'a/b');
		const other = dataAt(mirror, 'other');
		mirror.retain('a', ['a/b', 'a/c/d']);
		expect(dataAt(mirror, 'a')).toEqual({ b: { x: 1 }, c: { d: { y: 2 } } });
		expect(at(mirror, 'a/b')).toBe(b);
		expect(at(mirror, 'a/c/d')).toBe(d);
		expect(dataAt(mirror, 'a/b')).toBe(bData);
		expect(dataAt(mirror, 'other')).toBe(other);
	});

	test('with nothing to keep, deletes the path', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: { b: 1 }, c: 2 }));
		mirror.retain('a', []);
		expect(dataAt(mirror, '')).toEqual({ c: 2 });
	});

	test('ignores listed paths that do not exist', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: { b: 1, c: 2 } }));
		mirror.retain('a', ['a/b', 'a/missing']);
		expect(dataAt(mirror, 'a')).toEqual({ b: 1 });
	});

	test('does nothing for a missing path', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: 1 }));
		const root = at(mirror, '');
		mirror.retain('x', ['x/y']);
		expect(at(mirror, '')).toBe(root);
	});

	test('works at the root', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: { x: 1 }, b: 2, c: { y: 3 } }));
		const a = at(mirror, 'a');
		mirror.retain('', ['a', 'c/y']);
		expect(dataAt(mirror, '')).toEqual({ a: { x: 1 }, c: { y: 3 } });
		expect(at(mirror, 'a')).toBe(a);
	});
});

describe('snapshots', () => {
	test('dataOf returns null for missing nodes and null values, leaves as they are', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ n: null, s: 'x', zero: 0, f: false }));
		expect(mirror.dataOf(undefined)).toBeNull();
		expect(dataAt(mirror, 'missing')).toBeNull();
		expect(dataAt(mirror, 'n')).toBeNull();
		expect(dataAt(mirror, 's')).toBe('x');
		expect(dataAt(mirror, 'zero')).toBe(0);
		expect(dataAt(mirror, 'f')).toBe(false);
	});

	test('snapshots are deeply frozen', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: { b: { c: 1 }, list: [1, [2], { d: [3] }] } }));
		mirror.merge('a', { value: { e: { value: [{ f: { g: 1 } }] } }, meta: { m: { n: [1] } } });
		mirror.replace('r', node({ s: { t: [{ u: 1 }] } }));
		const data = dataAt(mirror, '');
		expect(unfrozen(data)).toEqual([]);
		expect(unfrozen(mirror.metaOf(at(mirror, 'a')))).toEqual([]);
		expect(() => {
			(data as Record<string, unknown>)['x'] = 1;
		}).toThrow();
	});

	test('dataOf gives the same object while a node is unchanged', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: { b: 1 } }));
		expect(dataAt(mirror, 'a')).toBe(dataAt(mirror, 'a'));
		expect(dataAt(mirror, '')).toBe(dataAt(mirror, ''));
	});

	test('unchanged subtrees keep their identity across changes elsewhere', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ users: { 1: { name: 'Ada', tags: ['x'] }, 2: { name: 'Bob' } }, rooms: { r: { topic: 't' } } }));
		const user1 = dataAt(mirror, 'users/1');
		const tags = dataAt(mirror, 'users/1/tags');
		const rooms = dataAt(mirror, 'rooms');
		const users = dataAt(mirror, 'users');
		const root = dataAt(mirror, '');

		mirror.merge('users/2', node({ name: 'Bobby' }));
		expect(dataAt(mirror, 'users/1')).toBe(user1);
		expect(dataAt(mirror, 'users/1/tags')).toBe(tags);
		expect(dataAt(mirror, 'rooms')).toBe(rooms);
		expect(dataAt(mirror, 'users')).not.toBe(users);
		expect(dataAt(mirror, '')).not.toBe(root);
		expect((dataAt(mirror, '') as Record<string, unknown>)['rooms']).toBe(rooms);
		expect((dataAt(mirror, 'users') as Record<string, unknown>)['1']).toBe(user1);

		mirror.delete('users/2');
		expect(dataAt(mirror, 'users/1')).toBe(user1);
		expect(dataAt(mirror, 'rooms')).toBe(rooms);

		mirror.replace('rooms/r', node({ topic: 'new' }));
		expect(dataAt(mirror, 'users/1')).toBe(user1);
	});

	test('older snapshots do not change', () => {
		const mirror = new Mirror();
		mirror.merge('', node({ a: { b: 1 } }));
		const before = dataAt(mirror, '');
		mirror.merge('a', node({ b: 2, c: 3 }));
		mirror.delete('a');
		expect(before).toEqual({ a: { b: 1 } });
	});
});
