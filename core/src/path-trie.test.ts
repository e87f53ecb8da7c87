import { describe, expect, test } from 'vitest';
import { forEachTrieNode, PathTrie } from './path-trie';
import type { TrieNode } from './path-trie';
import { randomNumbers as random } from '../../test/helpers/random';

/** Paths of nodes that hold nothing and have nothing below them (the root excepted), and empty containers. */
function emptyNodes<T>(trie: PathTrie<T>): string[] {
	const found: string[] = [];
	forEachTrieNode(trie.root, (node) => {
		if (node !== trie.root && node.isEmpty) found.push(node.path);
		if (node.items !== undefined && node.items.size === 0) found.push(`${node.path} (empty item set)`);
		if (node.children !== undefined && node.children.size === 0) found.push(`${node.path} (empty children map)`);
	});
	return found;
}

function allPaths<T>(trie: PathTrie<T>): string[] {
	const paths: string[] = [];
	forEachTrieNode(trie.root, (node) => paths.push(node.path));
	return paths.sort();
}


describe('add', () => {
	test('files items under paths and counts them', () => {
		const trie = new PathTrie<string>();
		expect(trie.size).toBe(0);
		expect(trie.add('a/b', 'x')).toBe(true);
		expect(trie.add('a/b', 'y')).toBe(true);
		expect(trie.add('a', 'x')).toBe(true);
		expect(trie.add('', 'root')).toBe(true);
		expect(trie.size).toBe(4);
		expect([...trie.itemsAt('a/b')!]).toEqual(['x', 'y']);
		expect([...trie.itemsAt('a')!]).toEqual(['x']);
		expect([...trie.itemsAt('')!]).toEqual(['root']);
	});

	test('returns false for an item already filed at that path', () => {
		const trie = new PathTrie<string>();
		trie.add('a', 'x');
		expect(trie.add('a', 'x')).toBe(false);
		expect(trie.add('/a/', 'x')).toBe(false);
		expect(trie.size).toBe(1);
	});

	test('creates one node per segment with its full path', () => {
		const trie = new PathTrie<string>();
		trie.add('a/b/c', 'x');
		expect(allPaths(trie)).toEqual(['', 'a', 'a/b', 'a/b/c']);
		const c = trie.find('a/b/c')!;
		expect(c.key).toBe('c');
		expect(c.parent?.path).toBe('a/b');
		expect(c.parent?.parent?.parent).toBe(trie.root);
	});

	test('normalizes paths', () => {
		const trie = new PathTrie<string>();
		trie.add('/a/b/', 'x');
		expect(trie.itemsAt('a/b')?.has('x')).toBe(true);
	});
});

describe('find and itemsAt', () => {
	const trie = new PathTrie<string>();
	trie.add('a/b/c', 'deep');
	trie.add('a/x', 'side');

	test('find returns the node for a path, by string or by segments', () => {
		expect(trie.find('a/b')?.path).toBe('a/b');
		expect(trie.find(['a', 'b'])).toBe(trie.find('a/b'));
		expect(trie.find('')).toBe(trie.root);
		expect(trie.find([])).toBe(trie.root);
	});

	test('find returns undefined when nothing is filed at or below the path', () => {
		expect(trie.find('a/b/c/d')).toBeUndefined();
		expect(trie.find('z')).toBeUndefined();
		expect(trie.find('a/bc')).toBeUndefined();
	});

	test('itemsAt returns only items filed exactly there', () => {
		expect([...trie.itemsAt('a/b/c')!]).toEqual(['deep']);
		expect(trie.itemsAt('a/b')).toBeUndefined();
		expect(trie.itemsAt('a')).toBeUndefined();
		expect(trie.itemsAt('')).toBeUndefined();
		expect(trie.itemsAt('nowhere')).toBeUndefined();
	});
});

describe('coveringNode and coversPath', () => {
	test('find the highest node at or above a path that holds items', () => {
		const trie = new PathTrie<string>();
		trie.add('a/b', 'x');
		trie.add('a/b/c/d', 'y');
		expect(trie.coveringNode('a/b/c/d/e')?.path).toBe('a/b');
		expect(trie.coveringNode('a/b')?.path).toBe('a/b');
		expect(trie.coveringNode('a')).toBeUndefined();
		expect(trie.coveringNode('a/x')).toBeUndefined();
		expect(trie.coveringNode('z/a/b')).toBeUndefined();
		expect(trie.coversPath('a/b/zzz')).toBe(true);
		expect(trie.coversPath('a')).toBe(false);
		expect(trie.coversPath('')).toBe(false);
	});

	test('the root covers everything once it holds items', () => {
		const trie = new PathTrie<string>();
		trie.add('a/b', 'x');
		trie.add('', 'root');
		expect(trie.coveringNode('a/b/c')).toBe(trie.root);
		expect(trie.coveringNode('elsewhere')).toBe(trie.root);
		expect(trie.coversPath('')).toBe(true);
	});

	test('a path that only starts like a covered one is not covered', () => {
		const trie = new PathTrie<string>();
		trie.add('users', 'x');
		expect(trie.coversPath('users10')).toBe(false);
		expect(trie.coversPath('users/10')).toBe(true);
	});
});

describe('remove', () => {
	test('removes an item and updates the count', () => {
		const trie = new PathTrie<string>();
		trie.add('a', 'x');
		trie.add('a', 'y');
		expect(trie.remove('a', 'x')).toBe(true);
		expect(trie.size).toBe(1);
		expect([...trie.itemsAt('a')!]).toEqual(['y']);
	});

	test('returns false for items or paths that are not there, and counts nothing', () => {
		const trie = new PathTrie<string>();
		trie.add('a/b', 'x');
		expect(trie.remove('a/b', 'y')).toBe(false);
		expect(trie.remove('a', 'x')).toBe(false);
		expect(trie.remove('a/b/c', 'x')).toBe(false);
		expect(trie.remove('z', 'x')).toBe(false);
		expect(trie.size).toBe(1);
		expect(trie.remove('a/b', 'x')).toBe(true);
		expect(trie.remove('a/b', 'x')).toBe(false);
		expect(trie.size).toBe(0);
	});

	test('removing the last item prunes empty nodes all the way up', () => {
		const trie = new PathTrie<string>();
		trie.add('a/b/c/d', 'x');
		trie.remove('a/b/c/d', 'x');
		expect(trie.root.children).toBeUndefined();
		expect(trie.root.items).toBeUndefined();
		expect(trie.root.isEmpty).toBe(true);
		expect(allPaths(trie)).toEqual(['']);
		expect(trie.find('a')).toBeUndefined();
	});

	test('pruning stops at a node that still holds items', () => {
		const trie = new PathTrie<string>();
		trie.add('a', 'kept');
		trie.add('a/b/c', 'x');
		trie.remove('a/b/c', 'x');
		expect(allPaths(trie)).toEqual(['', 'a']);
		expect(trie.find('a')?.children).toBeUndefined();
		expect(emptyNodes(trie)).toEqual([]);
	});

	test('pruning stops at a node that still has other children', () => {
		const trie = new PathTrie<string>();
		trie.add('a/b/c', 'x');
		trie.add('a/d', 'y');
		trie.remove('a/b/c', 'x');
		expect(allPaths(trie)).toEqual(['', 'a', 'a/d']);
		expect(emptyNodes(trie)).toEqual([]);
	});

	test('removing an item from a node with children keeps the node and drops its empty item set', () => {
		const trie = new PathTrie<string>();
		trie.add('a', 'x');
		trie.add('a/b', 'y');
		trie.remove('a', 'x');
		expect(trie.find('a')?.items).toBeUndefined();
		expect(trie.itemsAt('a/b')?.has('y')).toBe(true);
		expect(emptyNodes(trie)).toEqual([]);
		trie.remove('a/b', 'y');
		expect(allPaths(trie)).toEqual(['']);
	});

	test('removing the root item leaves an empty root', () => {
		const trie = new PathTrie<string>();
		trie.add('', 'x');
		trie.remove('', 'x');
		expect(trie.root.items).toBeUndefined();
		expect(trie.size).toBe(0);
		expect(trie.coversPath('a')).toBe(false);
	});

	test('random adds and removes never leave empty nodes, and removing everything empties the trie', () => {
		const next = random(7);
		const trie = new PathTrie<number>();
		const filed = new Map<string, Set<number>>();
		const segments = ['a', 'b', 'c'];
		const randomPath = () => Array.from({ length: Math.floor(next() * 5) }, () => segments[Math.floor(next() * segments.length)]).join('/');
		let count = 0;
		for (let step = 0; step < 5000; step++) {
			const path = randomPath();
			const item = Math.floor(next() * 4);
			const items = filed.get(path) ?? new Set<number>();
			if (next() < 0.55) {
				expect(trie.add(path, item)).toBe(!items.has(item));
				if (!items.has(item)) count++;
				items.add(item);
				filed.set(path, items);
			} else {
				expect(trie.remove(path, item)).toBe(items.has(item));
				if (items.delete(item)) count--;
			}
			expect(trie.size).toBe(count);
			if (step % 50 === 0) expect(emptyNodes(trie)).toEqual([]);
		}
		for (const [path, items] of filed) {
			expect([...(trie.itemsAt(path) ?? [])].sort()).toEqual([...items].sort());
		}
		for (const [path, items] of filed) for (const item of items) expect(trie.remove(path, item)).toBe(true);
		expect(trie.size).toBe(0);
		expect(allPaths(trie)).toEqual(['']);
		expect(trie.root.isEmpty).toBe(true);
	});
});

describe('forEachTrieNode', () => {
	test('visits a node and everything below it, depth first', () => {
		const trie = new PathTrie<string>();
		trie.add('a/b', 'x');
		trie.add('a/c', 'y');
		trie.add('d', 'z');
		const visited: string[] = [];
		forEachTrieNode(trie.root, (node: TrieNode<string>) => visited.push(node.path));
		expect(visited).toEqual(['', 'a', 'a/b', 'a/c', 'd']);
		const below: string[] = [];
		forEachTrieNode(trie.find('a')!, (node) => below.push(node.path));
		expect(below).toEqual(['a', 'a/b', 'a/c']);
	});

	test('tolerates removing items while visiting', () => {
		const trie = new PathTrie<string>();
		trie.add('a/b', 'x');
		trie.add('a/c', 'y');
		forEachTrieNode(trie.root, (node) => {
			for (const item of [...(node.items ?? [])]) trie.remove(node.path, item);
		});
		expect(trie.size).toBe(0);
		expect(allPaths(trie)).toEqual(['']);
	});
});
