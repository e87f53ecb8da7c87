import { describe, expect, test } from 'vitest';
import { nodeify, traverseNode } from './node';
import { isWildcardPath, trimWildcard } from './path';
import { deepClone, mergeDiff, simpleDeepClone } from './plain-data';

// The helpers SocketDB exported, with its behaviour (a migrating app may call them).

describe('traverseNode', () => {
	const tree = nodeify({ player: { 1: { position: { x: 0, y: 1 } }, 2: {} } });

	test('calls the callback once per path, children before the level below them', () => {
		const visited: [string, unknown][] = [];
		traverseNode(tree, (path, node) => void visited.push([path, node.value]));
		expect(visited.map(([path]) => path)).toEqual(['player', 'player/1', 'player/2', 'player/1/position', 'player/1/position/x', 'player/1/position/y']);
		expect(visited[4]).toEqual(['player/1/position/x', 0]);
	});

	test('stops as soon as the callback returns true', () => {
		const visited: string[] = [];
		traverseNode(tree, (path) => {
			visited.push(path);
			return path === 'player/1/position' ? true : undefined;
		});
		expect(visited).toEqual(['player', 'player/1', 'player/2', 'player/1/position']);
	});

	test('a leaf has nothing below it', () => {
		const visited: string[] = [];
		traverseNode(nodeify('text'), (path) => void visited.push(path));
		expect(visited).toEqual([]);
	});
});

describe('wildcard paths', () => {
	test.each([
		['*', true, ''],
		['players/*', true, 'players'],
		['players/1*', false, 'players/1*'],
		['players', false, 'players'],
		['', false, ''],
	])('%j: wildcard %j, trimmed %j', (path, wildcard, trimmed) => {
		expect(isWildcardPath(path)).toBe(wildcard);
		expect(trimWildcard(path)).toBe(trimmed);
	});
});

describe('deepClone', () => {
	test('copies arrays and objects at every level; primitives come back as they are', () => {
		const source = [1, 2, 3, { d: 'e', f: ['g', 'h'] }] as const;
		const copy = deepClone(source);
		expect(copy).toEqual(source);
		expect(copy).not.toBe(source);
		expect(copy[3]).not.toBe(source[3]);
		expect(copy[3].f).not.toBe(source[3].f);
		expect(deepClone('text')).toBe('text');
		expect(deepClone(null)).toBe(null);
	});

	test('goes through JSON: undefined is dropped', () => {
		expect(deepClone({ a: undefined, b: 1 })).toEqual({ b: 1 });
		expect(Object.keys(deepClone({ a: undefined, b: 1 }))).toEqual(['b']);
	});
});

describe('simpleDeepClone', () => {
	test('copies nested objects and shares every other value', () => {
		const list = [1, 2];
		const source = { a: { b: { c: 1 } }, list, text: 't' };
		const copy = simpleDeepClone(source);
		expect(copy).toEqual(source);
		expect(copy.a).not.toBe(source.a);
		expect(copy.a.b).not.toBe(source.a.b);
		expect(copy.list).toBe(list);
	});

	test('hands back what is not an object', () => {
		const list = [{ a: 1 }];
		expect(simpleDeepClone(list)).toBe(list);
		expect(simpleDeepClone(null)).toBe(null);
	});

	test('a key named __proto__ stays an own key and leaves the prototype alone', () => {
		const copy = simpleDeepClone(JSON.parse('{"__proto__":{"polluted":1}}') as Record<string, unknown>);
		expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
		expect(Object.keys(copy)).toEqual(['__proto__']);
		expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
	});
});

describe('mergeDiff', () => {
	test('merges into the target and returns only what changed', () => {
		const target: Record<string, unknown> = { a: 1, b: { c: 2, d: 3 }, e: 'keep' };
		const diff = mergeDiff({ a: 1, b: { c: 2, d: 4 }, f: { g: true } }, target);
		expect(diff).toEqual({ b: { d: 4 }, f: { g: true } });
		expect(target).toEqual({ a: 1, b: { c: 2, d: 4 }, e: 'keep', f: { g: true } });
	});

	test('nothing changed: an empty diff', () => {
		const target = { a: { b: 1 } };
		expect(mergeDiff({ a: { b: 1 } }, target)).toEqual({});
	});

	test('an object replaces a leaf; a leaf replaces an object; arrays compare by identity', () => {
		const list = [1];
		const target: Record<string, unknown> = { a: 'leaf', b: { c: 1 }, list };
		expect(mergeDiff({ a: { x: 1 }, b: 2, list }, target)).toEqual({ a: { x: 1 }, b: 2 });
		expect(target).toEqual({ a: { x: 1 }, b: 2, list });
		expect(mergeDiff({ list: [1] }, target)).toEqual({ list: [1] });
	});

	test('a key named __proto__ is merged as an own key: no prototype is touched', () => {
		const target: Record<string, unknown> = {};
		const diff = mergeDiff(JSON.parse('{"__proto__":{"polluted":1}}') as Record<string, unknown>, target);
		expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
		expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
		expect(Object.getOwnPropertyDescriptor(target, '__proto__')?.value).toEqual({ polluted: 1 });
		expect(Object.getOwnPropertyDescriptor(diff, '__proto__')?.value).toEqual({ polluted: 1 });
	});
});
