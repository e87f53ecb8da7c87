import { describe, expect, test } from 'vitest';
import { SocketDBError } from './errors';
import { assertPath, invalidKeyReason, invalidPathReason, isChildPath, isWellFormed, joinPath, lastSegment, normalizePath, parentPath, parsePath, RESERVED_KEYS } from './path';

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

	test('refuses keys with lone surrogates and accepts surrogate pairs', () => {
		expect(invalidKeyReason('k\uDC00')).toContain('lone surrogate');
		expect(invalidKeyReason('\uD800')).toContain('lone surrogate');
		expect(invalidKeyReason('\uD83D\uDE00')).toBeNull();
	});
});

describe('isWellFormed', () => {
	test('tells lone surrogates from pairs, in any position', () => {
		for (const text of ['', 'abc', '\uD83D\uDE00', 'a\uD83D\uDE00b', 'é']) expect(isWellFormed(text), JSON.stringify(text)).toBe(true);
		for (const text of ['\uD800', 'a\uD800b', '\uDC00', 'a\uDC00', '\uDE00\uD83D', 'x\uD83D']) expect(isWellFormed(text), JSON.stringify(text)).toBe(false);
	});
});

describe('invalidPathReason', () => {
	test('accepts the root and ordinary paths', () => {
		for (const path of ['', 'a', 'a/b/c', 'users/42/name', 'emoji/\u{1F600}', 'ä/ö']) {
			expect(invalidPathReason(path), path).toBeNull();
		}
	});

	test('refuses empty segments: leading, trailing and doubled slashes, rather than dropping them', () => {
		for (const path of ['/', '/a', 'a/', '/a/b/', 'team/', 'a//b', 'a/b//', '//a/b', '///', 'a///b']) {
			expect(invalidPathReason(path), path).toEqual(expect.stringContaining('empty segment'));
		}
	});

	test('refuses reserved keys in any position', () => {
		for (const key of ['__proto__', 'constructor', 'prototype']) {
			for (const path of [key, `a/${key}`, `${key}/a`, `a/${key}/b`]) {
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

	test('refuses paths that are not well-formed UTF-16 (lone surrogates)', () => {
		for (const path of ['k\uDC00', 'a/\uD800b', '\uD800', 'a/b\uDBFF', '\uDC00\uD800']) {
			expect(invalidPathReason(path), JSON.stringify(path)).toEqual(expect.stringContaining('lone surrogate'));
		}
	});

	test('has no length limit by default', () => {
		expect(invalidPathReason('a/'.repeat(50_000) + 'a')).toBeNull();
	});
});

describe('assertPath', () => {
	const refusal = (path: unknown, maxLength?: number) => {
		try {
			assertPath(path, maxLength);
			return undefined;
		} catch (error) {
			return { code: (error as SocketDBError).code, message: (error as Error).message, isSocketDBError: error instanceof SocketDBError };
		}
	};

	test('passes well-formed paths, the root included', () => {
		for (const path of ['', 'a', 'users/42/name']) expect(refusal(path), path).toBeUndefined();
	});

	test('throws INVALID_PATH with the reason invalidPathReason gives', () => {
		for (const path of ['a//b', '/a', 'a/__proto__', 'k\uDC00']) {
			expect(refusal(path), path).toEqual({ code: 'INVALID_PATH', message: invalidPathReason(path), isSocketDBError: true });
		}
	});

	test('applies the maximum length when given one', () => {
		expect(refusal('abc/def', 7)).toBeUndefined();
		expect(refusal('abc/defg', 7)).toEqual({ code: 'INVALID_PATH', message: invalidPathReason('abc/defg', 7), isSocketDBError: true });
		expect(refusal('a/'.repeat(5_000) + 'a')).toBeUndefined();
	});

	test('refuses what is not a string', () => {
		for (const path of [undefined, null, 42, ['a'], { path: 'a' }]) {
			expect(refusal(path), String(path)).toEqual({ code: 'INVALID_PATH', message: 'the path must be a string', isSocketDBError: true });
		}
	});
});
