import { describe, expect, test } from 'vitest';
import { invalidKeyReason, invalidPathReason, isChildPath, joinPath, lastSegment, normalizePath, parentPath, parsePath, RESERVED_KEYS } from './path';

describe('normalizePath', () => {
	test.each([
		['', ''],
		['/', ''],
		['a', 'a'],
		['/a', 'a'],
		['a/', 'a'],
		['/a/b/', 'a/b'],
		['users/42', 'users/42'],
	])('%j becomes %j', (input, expected) => {
		expect(normalizePath(input)).toBe(expected);
	});

	test('removes only one slash at each end', () => {
		expect(normalizePath('//a//')).toBe('/a/');
	});

	test('returns the same string when nothing needs removing', () => {
		const path = 'a/b/c';
		expect(normalizePath(path)).toBe(path);
	});
});

describe('parsePath', () => {
	test('the root has no segments', () => {
		expect(parsePath('')).toEqual([]);
		expect(parsePath('/')).toEqual([]);
	});

	test('splits into segments', () => {
		expect(parsePath('users/42/name')).toEqual(['users', '42', 'name']);
		expect(parsePath('/users/42/name/')).toEqual(['users', '42', 'name']);
		expect(parsePath('a')).toEqual(['a']);
	});

	test('keeps empty inner segments (they are refused by invalidPathReason)', () => {
		expect(parsePath('a//b')).toEqual(['a', '', 'b']);
	});
});

describe('joinPath', () => {
	test.each([
		['users', '42', 'users/42'],
		['', 'users/', 'users'],
		['users', '', 'users'],
		['', '', ''],
		['/users/', '/42/', 'users/42'],
		['a/b', 'c/d', 'a/b/c/d'],
	])('joinPath(%j, %j) is %j', (a, b, expected) => {
		expect(joinPath(a, b)).toBe(expected);
	});
});

describe('isChildPath', () => {
	test('a path lies below its ancestors', () => {
		expect(isChildPath('users/42', 'users')).toBe(true);
		expect(isChildPath('users/42/name', 'users')).toBe(true);
		expect(isChildPath('users/42/name', 'users/42')).toBe(true);
	});

	test('a path whose name merely starts with the parent name is not a child', () => {
		expect(isChildPath('users10', 'users')).toBe(false);
		expect(isChildPath('users10/a', 'users')).toBe(false);
		expect(isChildPath('users/420', 'users/42')).toBe(false);
	});

	test('a path is not its own child', () => {
		expect(isChildPath('users', 'users')).toBe(false);
		expect(isChildPath('', '')).toBe(false);
	});

	test('every non-root path lies below the root', () => {
		expect(isChildPath('users', '')).toBe(true);
		expect(isChildPath('a/b/c', '/')).toBe(true);
	});

	test('an ancestor is not a child of its descendant', () => {
		expect(isChildPath('users', 'users/42')).toBe(false);
		expect(isChildPath('', 'users')).toBe(false);
	});

	test('siblings are not children', () => {
		expect(isChildPath('a/x', 'a/b')).toBe(false);
	});

	test('leading and trailing slashes are ignored', () => {
		expect(isChildPath('/users/42/', '/users/')).toBe(true);
	});
});

describe('parentPath', () => {
	test.each([
		['a/b/c', 'a/b'],
		['a/b', 'a'],
		['a', ''],
		['', ''],
		['/a/b/', 'a'],
	])('the parent of %j is %j', (path, expected) => {
		expect(parentPath(path)).toBe(expected);
	});
});

describe('lastSegment', () => {
	test.each([
		['a/b/c', 'c'],
		['a', 'a'],
		['', ''],
		['/a/b/', 'b'],
	])('the last segment of %j is %j', (path, expected) => {
		expect(lastSegment(path)).toBe(expected);
	});
});

describe('invalidKeyReason', () => {
	test('accepts ordinary keys', () => {
		for (const key of ['a', 'users', '42', 'with space', 'ünïcødé', '.', '..', '*x', 'hasOwnProperty', 'toString', '__proto', 'proto__']) {
			expect(invalidKeyReason(key), key).toBeNull();
		}
	});

	test('refuses the empty key', () => {
		expect(invalidKeyReason('')).toEqual(expect.any(String));
	});

	test('refuses keys containing a slash', () => {
		expect(invalidKeyReason('a/b')).toEqual(expect.any(String));
		expect(invalidKeyReason('/')).toEqual(expect.any(String));
	});

	test('refuses the reserved keys', () => {
		expect([...RESERVED_KEYS].sort()).toEqual(['__proto__', 'constructor', 'prototype']);
		for (const key of ['__proto__', 'constructor', 'prototype']) {
			expect(invalidKeyReason(key), key).toContain(key);
		}
	});
});

describe('invalidPathReason', () => {
	test('accepts the root and ordinary paths', () => {
		for (const path of ['', '/', 'a', 'a/b/c', '/a/b/', 'users/42/name']) {
			expect(invalidPathReason(path), path).toBeNull();
		}
	});

	test('refuses empty segments', () => {
		for (const path of ['a//b', 'a/b//', '//a/b', '///', 'a///b']) {
			expect(invalidPathReason(path), path).toEqual(expect.stringContaining('empty segment'));
		}
	});

	test('refuses reserved keys in any position', () => {
		for (const key of ['__proto__', 'constructor', 'prototype']) {
			for (const path of [key, `a/${key}`, `${key}/a`, `a/${key}/b`, `/${key}/`]) {
				expect(invalidPathReason(path), path).toEqual(expect.stringContaining(key));
			}
		}
	});

	test('accepts segments that only contain a reserved word', () => {
		expect(invalidPathReason('my__proto__/constructors/prototypes')).toBeNull();
	});

	test('refuses paths longer than the maximum length', () => {
		expect(invalidPathReason('a'.repeat(10), 10)).toBeNull();
		expect(invalidPathReason('a'.repeat(11), 10)).toEqual(expect.stringContaining('10'));
		expect(invalidPathReason('abc/def', 7)).toBeNull();
		expect(invalidPathReason('abc/defg', 7)).not.toBeNull();
	});

	test('has no length limit by default', () => {
		expect(invalidPathReason('a/'.repeat(50_000) + 'a')).toBeNull();
	});
});
