import { expect, test } from 'vitest';
import { removeFrom } from './fifo-map';

test('removeFrom removes the key and, every 4093 removals, hands back a fresh copy with the same entries in order', () => {
	let map = new Map<number, string>();
	let next = 0;
	const refill = () => {
		while (map.size < 10) map.set(next, `v${next++}`);
	};
	refill();
	// The count is shared by every Map: find where this one gets its copy, then count a whole round.
	let removals = 0;
	for (;;) {
		const before = map;
		const oldest = map.keys().next().value!;
		map = removeFrom(map, oldest);
		removals++;
		expect(map.has(oldest)).toBe(false);
		refill();
		if (map !== before) break;
		expect(removals).toBeLessThanOrEqual(4093);
	}
	const copy = map;
	expect([...copy.keys()]).toEqual(Array.from({ length: 10 }, (_, index) => next - 10 + index));
	for (let round = 1; round <= 4093; round++) {
		const before = map;
		map = removeFrom(map, map.keys().next().value!);
		refill();
		expect(map !== before).toBe(round === 4093);
	}
	expect([...map.values()]).toEqual(Array.from({ length: 10 }, (_, index) => `v${next - 10 + index}`));
});
