import { expect, test } from 'vitest';
import { BoundedCache } from './bounded-cache';

test('keeps recently used entries and forgets old unused ones, within about twice its size', () => {
	const cache = new BoundedCache<number, string>(3);
	for (const key of [1, 2, 3]) cache.set(key, `v${key}`);
	cache.set(4, 'v4'); // 1, 2, 3 become old
	expect(cache.get(1)).toBe('v1'); // moved back to young
	for (const key of [5, 6]) cache.set(key, `v${key}`); // young is full again: [4, 1, 5], then 6 starts a new generation
	expect(cache.get(2)).toBeUndefined();
	expect(cache.get(3)).toBeUndefined();
	expect(cache.get(1)).toBe('v1');
	expect(cache.get(6)).toBe('v6');
});
