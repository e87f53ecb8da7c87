import { describe, expect, test } from 'vitest';
import { anchorAtPath, cloneJson, cloneNode, diffAt, leafEquals, mergeNode, mergeObject, mergeSlice } from './merge';
import { nodeify } from './node';
import type { Node, NodeDiff } from './node';
import { randomNumbers as random } from '../../test/helpers/random';

/** Every object and array reachable from `value`. */
function objectsIn(value: unknown, into = new Set<object>()): Set<object> {
	if (typeof value !== 'object' || value === null || into.has(value)) return into;
	into.add(value);
	for (const key of Object.keys(value)) objectsIn((value as Record<string, unknown>)[key], into);
	return into;
}

function sharedObjects(a: unknown, b: unknown): object[] {
	const inA = objectsIn(a);
	return [...objectsIn(b)].filter((object) => inA.has(object));
}

/** Mutates every object and array below `value` in place. */
function scribble(value: unknown): void {
	if (typeof value !== 'object' || value === null) return;
	if (Array.isArray(value)) {
		for (const item of value) scribble(item);
		value.push('scribbled');
		return;
	}
	const record = value as Record<string, unknown>;
	for (const key of Object.keys(record)) {
		scribble(record[key]);
		if (typeof record[key] !== 'object' || record[key] === null) record[key] = 'scribbled';
	}
	record['scribbled'] = true;
}

function node(data: unknown): Node {
	return nodeify(data as never);
}


describe('mergeNode: values', () => {
	test('objects merge key by key', () => {
		const target = node({ a: 1, b: { c: 2, d: 3 } });
		const applied = mergeNode(target, node({ b: { c: 4 }, e: 5 }));
		expect(target).toEqual(node({ a: 1, b: { c: 4, d: 3 }, e: 5 }));
		expect(applied).toEqual(node({ b: { c: 4 }, e: 5 }));
	});

	test('a primitive replaces a primitive', () => {
		const target = node({ a: 'x' });
		expect(mergeNode(target, node({ a: 'y' }))).toEqual(node({ a: 'y' }));
		expect(target).toEqual(node({ a: 'y' }));
	});

	test('a leaf replaces a whole object', () => {
		const target = node({ a: { b: 1, c: { d: 2 } } });
		const applied = mergeNode(target, node({ a: 5 }));
		expect(target).toEqual(node({ a: 5 }));
		expect(applied).toEqual(node({ a: 5 }));
	});

	test('an array is a leaf: it replaces and never merges', () => {
		const target = node({ list: [1, 2, 3] });
		const applied = mergeNode(target, node({ list: [4] }));
		expect(target).toEqual(node({ list: [4] }));
		expect(applied).toEqual(node({ list: [4] }));
	});

	test('an array replaces an object, and an object replaces an array', () => {
		const target = node({ a: { b: 1 } });
		expect(mergeNode(target, node({ a: [1, 2] }))).toEqual(node({ a: [1, 2] }));
		expect(target).toEqual(node({ a: [1, 2] }));
		expect(mergeNode(target, node({ a: { c: 3 } }))).toEqual(node({ a: { c: 3 } }));
		expect(target).toEqual(node({ a: { c: 3 } }));
	});

	test('null is a leaf', () => {
		const target = node({ a: { b: 1 } });
		expect(mergeNode(target, node({ a: null }))).toEqual(node({ a: null }));
		expect(target).toEqual(node({ a: null }));
		expect(mergeNode(target, node({ a: null }))).toBeUndefined();
	});

	test('an object replacing a leaf leaves only the new keys', () => {
		const target = node({ a: 'leaf', other: 1 });
		const applied = mergeNode(target, node({ a: { x: 1, y: 2 } }));
		expect(target).toEqual(node({ a: { x: 1, y: 2 }, other: 1 }));
		expect(applied).toEqual(node({ a: { x: 1, y: 2 } }));
	});

	test('an object replacing a leaf at the root leaves only the new keys', () => {
		const target: Node = { value: 42 };
		const applied = mergeNode(target, node({ x: 1 }));
		expect(target).toEqual(node({ x: 1 }));
		expect(applied).toEqual(node({ x: 1 }));
	});

	test('new paths are created', () => {
		const target = node({});
		const applied = mergeNode(target, node({ a: { b: { c: 1 } } }));
		expect(target).toEqual(node({ a: { b: { c: 1 } } }));
		expect(applied).toEqual(node({ a: { b: { c: 1 } } }));
	});

	test('an empty object value changes nothing', () => {
		const target = node({ a: { b: 1 } });
		expect(mergeNode(target, { value: {} })).toBeUndefined();
		expect(mergeNode(target, node({ a: {} }))).toBeUndefined();
		expect(target).toEqual(node({ a: { b: 1 } }));
	});

	test('an empty object does not create a path', () => {
		const target = node({});
		expect(mergeNode(target, node({ a: { b: {} } }))).toBeUndefined();
		expect(target).toEqual(node({}));
	});

	test('an empty object does not replace a leaf', () => {
		const target = node({ a: 5 });
		expect(mergeNode(target, node({ a: {} }))).toBeUndefined();
		expect(target).toEqual(node({ a: 5 }));
	});

	test('an object holding only empty objects does not replace a leaf', () => {
		// Nothing is written, so nothing may change: the leaf must stay (or the diff must report the change).
		const target = node({ a: 5 });
		const applied = mergeNode(target, node({ a: { b: {} } }));
		expect(applied).toBeUndefined();
		expect(target).toEqual(node({ a: 5 }));
	});

	test('an object holding only empty objects does not replace a leaf at the root', () => {
		const target: Node = { value: 5 };
		const applied = mergeNode(target, node({ b: {} }));
		expect(applied).toBeUndefined();
		expect(target).toEqual({ value: 5 });
	});

	test('a diff without value changes no value', () => {
		const target = node({ a: 1 });
		expect(mergeNode(target, {})).toBeUndefined();
		expect(target).toEqual(node({ a: 1 }));
	});

	test('non-node children of a diff are ignored', () => {
		const target = node({ a: 1 });
		expect(mergeNode(target, { value: { b: 2, c: null, d: [1] } })).toBeUndefined();
		expect(target).toEqual(node({ a: 1 }));
	});

	test('keys that look like Object.prototype members are ordinary keys', () => {
		const target = node({});
		const applied = mergeNode(target, node({ toString: 1, hasOwnProperty: { valueOf: 2 } }));
		expect(applied).toEqual(node({ toString: 1, hasOwnProperty: { valueOf: 2 } }));
		expect(target).toEqual(node({ toString: 1, hasOwnProperty: { valueOf: 2 } }));
		expect(mergeNode(target, node({ toString: 1 }))).toBeUndefined();
	});
});

describe('mergeNode: the returned diff', () => {
	test('is undefined when an equal value is set', () => {
		const target = node({ a: 1, b: 'x', c: true, d: null, e: { f: 2 } });
		expect(mergeNode(target, node({ a: 1, b: 'x', c: true, d: null, e: { f: 2 } }))).toBeUndefined();
	});

	test('is undefined when an equal array is set', () => {
		const target = node({ list: [1, [2, 3], { a: 'b' }] });
		expect(mergeNode(target, node({ list: [1, [2, 3], { a: 'b' }] }))).toBeUndefined();
	});

	test('holds only what changed', () => {
		const target = node({ a: 1, b: { c: 2, d: [1, 2] }, e: 'same' });
		const applied = mergeNode(target, node({ a: 1, b: { c: 3, d: [1, 2] }, e: 'same', f: { g: 1 } }));
		expect(applied).toEqual(node({ b: { c: 3 }, f: { g: 1 } }));
	});

	test('is the diff itself when everything it says changed (no copy), and the diff stays as it was', () => {
		const diff = node({ users: { 150: { n: 1, sent: 2 } } });
		const before = structuredClone(diff);
		expect(mergeNode(node({ users: { 7: { n: 0 } } }), diff)).toBe(diff);
		expect(diff).toEqual(before);
	});

	test('holds the children that changed as given, and only those, when some did not change', () => {
		const diff = node({ a: { x: 1 }, b: 2, c: { y: 3 }, d: 4 });
		const before = structuredClone(diff);
		const applied = mergeNode(node({ b: 2, d: 5 }), diff)!;
		expect(applied).toEqual(node({ a: { x: 1 }, c: { y: 3 }, d: 4 }));
		const children = applied.value as Record<string, NodeDiff>;
		const given = diff.value as Record<string, NodeDiff>;
		expect(children['a']).toBe(given['a']);
		expect(children['c']).toBe(given['c']);
		expect(diff).toEqual(before);
	});

	test('holds a changed array whole', () => {
		const target = node({ list: [1, 2, 3] });
		expect(mergeNode(target, node({ list: [1, 2, 4] }))).toEqual(node({ list: [1, 2, 4] }));
	});

	test('describes a leaf replacing an object as that leaf', () => {
		const target = node({ a: { b: 1 } });
		expect(mergeNode(target, node({ a: 'x' }))).toEqual(node({ a: 'x' }));
	});

	test('shares no object with the target', () => {
		const target = node({ a: { b: 1 } });
		const applied = mergeNode(target, { value: { a: { value: { c: { value: { d: { value: 1 } } } }, meta: { m: { n: 1 } } }, e: { value: { f: { value: 2 } } } } });
		expect(applied).toBeDefined();
		expect(sharedObjects(applied, target)).toEqual([]);
	});

	test('is unchanged when the target is mutated afterwards by later merges', () => {
		const target = node({ a: { b: 1 } });
		const applied = mergeNode(target, { value: { a: { value: { c: { value: 2 } }, meta: { x: { y: 1 } } }, d: { value: { e: { value: 3 } } } } })!;
		const snapshot = structuredClone(applied);
		mergeNode(target, { value: { a: { value: { c: { value: 20 }, z: { value: 9 } }, meta: { x: { y: 2, w: 1 } } }, d: { value: 'leaf' } } });
		mergeNode(target, { value: { d: { value: { again: { value: 1 } } } } });
		expect(applied).toEqual(snapshot);
	});

	test('is unchanged when the target is mutated in place afterwards', () => {
		const target = node({ a: { b: 1 } });
		const applied = mergeNode(target, { value: { a: { value: { c: { value: 2 } }, meta: { x: { y: 1 } } }, d: { value: { e: { value: 3 } } } } })!;
		const snapshot = structuredClone(applied);
		scribble(target);
		expect(applied).toEqual(snapshot);
	});

	test('shares no array with the target', () => {
		const target = node({});
		const applied = mergeNode(target, node({ list: [1, [2], { a: 3 }] }));
		expect(sharedObjects(applied, target)).toEqual([]);
	});

	test('is unchanged when an array in the target is mutated in place afterwards', () => {
		const target = node({});
		const applied = mergeNode(target, { value: { list: { value: [1, [2], { a: 3 }] }, m: { value: {}, meta: { tags: ['x'] } } } })!;
		const snapshot = structuredClone(applied);
		scribble(target);
		expect(applied).toEqual(snapshot);
	});

	test('reproduces the change when applied to the old state (random cases)', () => {
		const next = random(12345);
		const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
		const leaf = () => pick<unknown>([0, 1, 'x', null, true, [1], [1, 2], [{ a: 1 }]]);
		const meta = (): Record<string, unknown> => {
			const result: Record<string, unknown> = {};
			for (const key of ['m', 'n']) if (next() < 0.4) result[key] = next() < 0.3 ? { deep: leaf() } : leaf();
			return result;
		};
		/** A random diff, or (`stored`) a random stored tree: every node has a value and no meta is empty. */
		const tree = (depth: number, stored: boolean): NodeDiff => {
			const result: NodeDiff = {};
			const roll = next();
			if (depth === 0 || roll < 0.35) result.value = leaf();
			else if (roll < 0.9 || stored) {
				const children: Record<string, NodeDiff> = {};
				for (const key of ['a', 'b', 'c']) if (next() < 0.5) children[key] = tree(depth - 1, stored);
				result.value = children;
			}
			if (next() < 0.3) {
				const m = meta();
				if (!stored || Object.keys(m).length > 0) result.meta = m;
			}
			return result;
		};
		const failures: unknown[] = [];
		for (let i = 0; i < 3000; i++) {
			const start = tree(3, true);
			const target = cloneNode(start) as Node;
			const diff = tree(3, false);
			const before = cloneNode(target);
			const applied = mergeNode(target, cloneNode(diff));
			const replay = cloneNode(before);
			if (applied !== undefined) mergeNode(replay, applied);
			// The diff holds everything that changed: applying it to the old state gives the new one.
			if (JSON.stringify(replay) !== JSON.stringify(target) || !deepEqual(replay, target)) failures.push({ before, diff, applied, after: target });
		}
		expect(failures.slice(0, 3)).toEqual([]);
	});
});

function deepEqual(a: unknown, b: unknown): boolean {
	if (a === b) return true;
	if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
	if (Array.isArray(a) !== Array.isArray(b)) return false;
	const keysA = Object.keys(a);
	if (keysA.length !== Object.keys(b).length) return false;
	return keysA.every((key) => Object.prototype.hasOwnProperty.call(b, key) && deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

describe('mergeNode: meta', () => {
	test('{ value: {}, meta } sets meta only', () => {
		const target = node({ a: 1 });
		const applied = mergeNode(target, { value: {}, meta: { updated: 1 } });
		expect(applied).toEqual({ meta: { updated: 1 } });
		expect(target).toEqual({ ...node({ a: 1 }), meta: { updated: 1 } });
	});

	test('meta on a child sets that child’s meta only', () => {
		const target = node({ a: { b: 1 } });
		const applied = mergeNode(target, { value: { a: { value: {}, meta: { by: 'ada' } } } });
		expect(applied).toEqual({ value: { a: { meta: { by: 'ada' } } } });
		expect(target).toEqual({ value: { a: { value: { b: { value: 1 } }, meta: { by: 'ada' } } } });
	});

	test('meta deep-merges', () => {
		const target: Node = { value: {}, meta: { a: { b: 1, c: 2 }, d: 1 } };
		const applied = mergeNode(target, { meta: { a: { b: 3 } } });
		expect(target.meta).toEqual({ a: { b: 3, c: 2 }, d: 1 });
		expect(applied).toEqual({ meta: { a: { b: 3 } } });
	});

	test('meta leaves replace, and an object replaces a meta leaf', () => {
		const target: Node = { value: {}, meta: { a: 1, b: { c: 1 } } };
		expect(mergeNode(target, { meta: { a: { x: 1 }, b: 2 } })).toEqual({ meta: { a: { x: 1 }, b: 2 } });
		expect(target.meta).toEqual({ a: { x: 1 }, b: 2 });
	});

	test('meta arrays replace; equal arrays change nothing', () => {
		const target: Node = { value: {}, meta: { tags: ['a', 'b'] } };
		expect(mergeNode(target, { meta: { tags: ['a', 'b'] } })).toBeUndefined();
		expect(mergeNode(target, { meta: { tags: ['c'] } })).toEqual({ meta: { tags: ['c'] } });
		expect(target.meta).toEqual({ tags: ['c'] });
	});

	test('equal meta changes nothing', () => {
		const target: Node = { value: 1, meta: { a: { b: 1 } } };
		expect(mergeNode(target, { meta: { a: { b: 1 } } })).toBeUndefined();
		expect(mergeNode(target, { value: 1, meta: { a: { b: 1 } } })).toBeUndefined();
	});

	test('an empty meta object changes nothing and adds no meta field', () => {
		const target = node({ a: 1 });
		expect(mergeNode(target, { value: {}, meta: {} })).toBeUndefined();
		expect('meta' in target).toBe(false);
		expect(mergeNode(target, { meta: { x: {} } })).toBeUndefined();
		expect('meta' in target).toBe(false);
	});

	test('undefined meta entries are skipped', () => {
		const target: Node = { value: {}, meta: { a: 1 } };
		expect(mergeNode(target, { meta: { a: undefined, b: 2 } })).toEqual({ meta: { b: 2 } });
		expect(target.meta).toEqual({ a: 1, b: 2 });
	});

	test('value and meta change together', () => {
		const target = node({ a: 1 });
		expect(mergeNode(target, { value: { a: { value: 2, meta: { v: 2 } } }, meta: { root: true } })).toEqual({
			meta: { root: true },
			value: { a: { value: 2, meta: { v: 2 } } },
		});
	});

	test('meta on a new path creates that path', () => {
		const target = node({});
		expect(mergeNode(target, { value: { a: { meta: { x: 1 } } } })).toEqual({ value: { a: { meta: { x: 1 } } } });
		expect(target).toEqual({ value: { a: { value: {}, meta: { x: 1 } } } });
	});

	test('the meta diff shares no object with the target', () => {
		const target: Node = { value: {}, meta: { a: { b: 1 } } };
		const applied = mergeNode(target, { meta: { a: { c: { d: 1 } }, e: { f: 1 } } });
		expect(sharedObjects(applied, target)).toEqual([]);
	});
});

describe('mergeSlice', () => {
	test('slices build a tree, empty objects included', () => {
		const target: Node = { value: {} };
		mergeSlice(target, { value: { a: { value: { x: { value: 1 } } }, empty: { value: {} } }, meta: { m: 1 } });
		mergeSlice(target, { value: { a: { value: { y: { value: [1, 2] } } }, b: { value: { deep: { value: {} } } } } });
		expect(target).toEqual({ meta: { m: 1 }, value: { a: nodeify({ x: 1, y: [1, 2] }), empty: { value: {} }, b: { value: { deep: { value: {} } } } } });
	});

	test('an object replaces a leaf, even an empty one; a leaf replaces an object', () => {
		const target: Node = nodeify({ a: 1, b: { c: 2 } });
		mergeSlice(target, { value: { a: { value: {} }, b: { value: 'leaf' } } });
		expect(target).toEqual({ value: { a: { value: {} }, b: { value: 'leaf' } } });
	});

	test('meta merges; a container without meta keeps what is there', () => {
		const target: Node = { value: { a: { value: {}, meta: { by: 'ada', n: 1 } } } };
		mergeSlice(target, { value: { a: { value: { x: { value: 1 } } } } });
		mergeSlice(target, { value: { a: { value: {}, meta: { n: 2 } } } });
		expect(target).toEqual({ value: { a: { value: { x: { value: 1 } }, meta: { by: 'ada', n: 2 } } } });
	});

	test('the tree keeps its own copies of leaves', () => {
		const slice = { value: { list: { value: [1, { x: 2 }] } } };
		const target: Node = { value: {} };
		mergeSlice(target, slice);
		(slice.value.list.value[1] as { x: number }).x = 3;
		expect(target).toEqual(nodeify({ list: [1, { x: 2 }] }));
	});
});

describe('mergeObject', () => {
	test('merges objects and returns what changed', () => {
		const target: Record<string, unknown> = { a: { b: 1 }, c: 1 };
		expect(mergeObject(target, { a: { d: 2 }, c: 1 })).toEqual({ a: { d: 2 } });
		expect(target).toEqual({ a: { b: 1, d: 2 }, c: 1 });
		expect(mergeObject(target, { a: { d: 2 } })).toBeUndefined();
	});
});

describe('anchorAtPath', () => {
	test('wraps a node so it sits at the path', () => {
		expect(anchorAtPath(['a', 'b'], { value: 1 })).toEqual({ value: { a: { value: { b: { value: 1 } } } } });
	});

	test('returns the node itself at the root', () => {
		const diff = { value: 1 };
		expect(anchorAtPath([], diff)).toBe(diff);
	});

	test('keeps meta on the anchored node', () => {
		expect(anchorAtPath(['x'], { meta: { m: 1 } })).toEqual({ value: { x: { meta: { m: 1 } } } });
	});

	test('anchored diffs merge at that path', () => {
		const target = node({ a: { b: { c: 1 }, other: 1 } });
		expect(mergeNode(target, anchorAtPath(['a', 'b'], node({ d: 2 })))).toEqual(node({ a: { b: { d: 2 } } }));
		expect(target).toEqual(node({ a: { b: { c: 1, d: 2 }, other: 1 } }));
	});
});

describe('diffAt', () => {
	const diff = node({ a: { b: { c: 1 } }, list: [1, 2] });

	test('follows the segments', () => {
		expect(diffAt(diff, ['a', 'b'])).toEqual(node({ c: 1 }));
		expect(diffAt(diff, ['a', 'b', 'c'])).toEqual({ value: 1 });
		expect(diffAt(diff, ['list'])).toEqual({ value: [1, 2] });
	});

	test('returns the diff itself for no segments', () => {
		expect(diffAt(diff, [])).toBe(diff);
	});

	test('returns undefined where the diff does not reach', () => {
		expect(diffAt(diff, ['x'])).toBeUndefined();
		expect(diffAt(diff, ['a', 'x', 'y'])).toBeUndefined();
		expect(diffAt(diff, ['a', 'b', 'c', 'd'])).toBeUndefined();
		expect(diffAt(diff, ['list', '0'])).toBeUndefined();
		expect(diffAt({ meta: { x: 1 } }, ['a'])).toBeUndefined();
	});

	test('inverts anchorAtPath', () => {
		const inner = { value: 'x', meta: { m: 1 } };
		expect(diffAt(anchorAtPath(['p', 'q', 'r'], inner), ['p', 'q', 'r'])).toBe(inner);
	});
});

describe('cloneNode', () => {
	test('copies a node tree deeply', () => {
		const original: Node = { value: { a: { value: { b: { value: [1, { c: 2 }] } }, meta: { m: { n: [1] } } }, d: { value: null } }, meta: { root: 1 } };
		const copy = cloneNode(original);
		expect(copy).toEqual(original);
		expect(sharedObjects(copy, original)).toEqual([]);
	});

	test('keeps a diff without value without value', () => {
		const copy = cloneNode({ meta: { a: 1 } });
		expect(copy).toEqual({ meta: { a: 1 } });
		expect('value' in copy).toBe(false);
	});

	test('copies leaves as they are', () => {
		expect(cloneNode({ value: 'x' })).toEqual({ value: 'x' });
		expect(cloneNode({ value: null })).toEqual({ value: null });
		expect(cloneNode({ value: 0 })).toEqual({ value: 0 });
	});

	test('the copy is independent of later changes to the original', () => {
		const original = node({ a: { b: [1, 2] } });
		const copy = cloneNode(original);
		scribble(original);
		expect(copy).toEqual(node({ a: { b: [1, 2] } }));
	});
});

describe('cloneJson', () => {
	test('returns primitives as they are', () => {
		for (const value of [1, 'a', true, null, undefined]) expect(cloneJson(value)).toBe(value);
	});

	test('copies arrays and objects deeply', () => {
		const original = { a: [1, { b: [2, [3]] }], c: { d: null } };
		const copy = cloneJson(original);
		expect(copy).toEqual(original);
		expect(sharedObjects(copy, original)).toEqual([]);
		expect(Array.isArray(copy.a)).toBe(true);
	});
});

describe('leafEquals', () => {
	test('compares primitives strictly', () => {
		expect(leafEquals(1, 1)).toBe(true);
		expect(leafEquals('a', 'a')).toBe(true);
		expect(leafEquals(null, null)).toBe(true);
		expect(leafEquals(1, '1')).toBe(false);
		expect(leafEquals(0, false)).toBe(false);
		expect(leafEquals(null, undefined)).toBe(false);
		expect(leafEquals(null, 0)).toBe(false);
	});

	test('compares arrays structurally', () => {
		expect(leafEquals([], [])).toBe(true);
		expect(leafEquals([1, [2, 3]], [1, [2, 3]])).toBe(true);
		expect(leafEquals([1, 2], [2, 1])).toBe(false);
		expect(leafEquals([1, 2], [1, 2, 3])).toBe(false);
		expect(leafEquals([1], 1)).toBe(false);
		expect(leafEquals([null], [undefined])).toBe(false);
	});

	test('compares objects inside arrays structurally', () => {
		expect(leafEquals([{ a: 1, b: [2] }], [{ b: [2], a: 1 }])).toBe(true);
		expect(leafEquals([{ a: 1 }], [{ a: 2 }])).toBe(false);
		expect(leafEquals([{ a: 1 }], [{ a: 1, b: 2 }])).toBe(false);
		expect(leafEquals([{ a: undefined }], [{ b: undefined }])).toBe(false);
	});

	test('an array never equals an object', () => {
		expect(leafEquals([], {})).toBe(false);
		expect(leafEquals({}, [])).toBe(false);
		expect(leafEquals({ 0: 1, length: 1 }, [1])).toBe(false);
	});
});
