import { describe, expect, test } from 'vitest';
import { smallSetAdd, smallSetDelete, smallSetHas, smallSetMembers, smallSetSize, type SmallSet } from './small-set';

describe('SmallSet', () => {
	test('behaves like a Set through one, two and back to no members', () => {
		let set: SmallSet;
		expect(smallSetSize(set)).toBe(0);
		expect(smallSetHas(set, 'a')).toBe(false);
		set = smallSetAdd(set, 'a');
		expect(set).toBe('a');
		set = smallSetAdd(set, 'a');
		expect([...smallSetMembers(set)]).toEqual(['a']);
		set = smallSetAdd(set, 'b');
		expect(smallSetSize(set)).toBe(2);
		expect(smallSetHas(set, 'a') && smallSetHas(set, 'b')).toBe(true);
		expect(smallSetHas(set, 'c')).toBe(false);
		set = smallSetDelete(set, 'c');
		expect([...smallSetMembers(set)].sort()).toEqual(['a', 'b']);
		set = smallSetDelete(set, 'a');
		set = smallSetDelete(set, 'b');
		expect(set).toBeUndefined();
		expect([...smallSetMembers(set)]).toEqual([]);
		set = smallSetDelete(smallSetAdd(undefined, 'x'), 'x');
		expect(set).toBeUndefined();
	});

	test('matches a Set over random operations', () => {
		let seed = 7;
		const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
		let set: SmallSet;
		const model = new Set<string>();
		for (let i = 0; i < 2000; i++) {
			const member = String(next() % 4);
			if (next() % 2 === 0) {
				set = smallSetAdd(set, member);
				model.add(member);
			} else {
				set = smallSetDelete(set, member);
				model.delete(member);
			}
			expect(smallSetSize(set)).toBe(model.size);
			expect(new Set(smallSetMembers(set))).toEqual(model);
		}
	});
});
