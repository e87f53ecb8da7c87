import { describe, expect, test } from 'vitest';
import { OrderTree } from './order-tree';
import { seededRandom } from '../../test/helpers/random';

describe('OrderTree', () => {
	test('keeps items sorted through random inserts and removes, with positions right', () => {
		for (const seed of [1, 2, 3]) {
			const random = seededRandom(seed);
			const tree = new OrderTree<number>((a, b) => a - b);
			const held = new Set<number>();
			for (let step = 0; step < 3000; step++) {
				const item = random.int(500);
				if (held.has(item)) {
					expect(tree.remove(item)).toBe(true);
					held.delete(item);
				} else {
					tree.insert(item);
					held.add(item);
				}
				if (step % 100 === 0) {
					const sorted = [...held].sort((a, b) => a - b);
					expect(tree.size, `seed ${seed}`).toBe(sorted.length);
					expect(tree.slice(0, sorted.length)).toEqual(sorted);
					const from = random.int(sorted.length + 1);
					const to = from + random.int(20);
					expect(tree.slice(from, to)).toEqual(sorted.slice(from, to));
					const index = random.int(sorted.length + 1);
					expect(tree.at(index)).toBe(sorted[index]);
					const threshold = random.int(500);
					expect(tree.countBefore((value) => value >= threshold)).toBe(sorted.filter((value) => value < threshold).length);
				}
			}
		}
	});

	test('removing what it does not hold changes nothing', () => {
		const tree = new OrderTree<number>((a, b) => a - b);
		tree.insert(1);
		expect(tree.remove(2)).toBe(false);
		expect(tree.slice(0, 5)).toEqual([1]);
		tree.clear();
		expect(tree.size).toBe(0);
		expect(tree.at(0)).toBeUndefined();
	});

	test('stays shallow: a hundred thousand items in order do not overflow the stack', () => {
		const tree = new OrderTree<number>((a, b) => a - b);
		for (let item = 0; item < 100_000; item++) tree.insert(item);
		expect(tree.at(54_321)).toBe(54_321);
		expect(tree.countBefore((value) => value >= 99_990)).toBe(99_990);
		for (let item = 0; item < 100_000; item += 2) tree.remove(item);
		expect(tree.slice(0, 3)).toEqual([1, 3, 5]);
	});
});
