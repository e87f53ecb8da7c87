import { describe, expect, test } from 'vitest';
import { compareKeys } from './keys';

describe('compareKeys', () => {
	test('orders numbers inside keys by value', () => {
		expect(['item10', 'item2', 'item1', 'item20', '10', '9'].sort(compareKeys)).toEqual(['9', '10', 'item1', 'item2', 'item10', 'item20']);
	});

	test('is a total order: keys the collator deems equal still sort the same way every time', () => {
		const composed = '\u00e9';
		const decomposed = 'e\u0301';
		expect([composed, decomposed].sort(compareKeys)).toEqual([decomposed, composed].sort(compareKeys));
		expect(compareKeys(composed, decomposed)).toBe(-compareKeys(decomposed, composed));
		expect(compareKeys('a', 'a')).toBe(0);
	});
});
