import { expect, test } from 'vitest';
import { hashOfPath, keysOfHash } from './links';

test.each([
	['', '#/', []],
	['users/42', '#/users/42', ['users', '42']],
	['a b/#x/100%', '#/a%20b/%23x/100%25', ['a b', '#x', '100%']],
])('path %j is the fragment %j, and back', (path, hash, keys) => {
	expect(hashOfPath(path)).toBe(hash);
	expect(keysOfHash(hash)).toEqual(keys);
});

test('a fragment that names no node', () => {
	expect(keysOfHash('')).toBeUndefined();
	expect(keysOfHash('#users')).toBeUndefined();
	expect(keysOfHash('#/%E0%A4%A')).toBeUndefined();
});
