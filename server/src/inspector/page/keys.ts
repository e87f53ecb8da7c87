import { invalidKeyReason } from '@socketdb/core';

/** A UTF-16 surrogate without its partner: such a key cannot round-trip through UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why the page will not write a child under `key`, or null when it may. Checked in the form,
 * before anything is sent: an empty key would otherwise address the parent itself.
 *
 * @example keyProblem('') // 'empty key'
 * @example keyProblem('eggs') // null
 */
export function keyProblem(key: string): string | null {
	const reason = invalidKeyReason(key);
	if (reason !== null) return reason;
	if (LONE_SURROGATE.test(key)) return 'key contains a lone UTF-16 surrogate';
	return null;
}

const collator = new Intl.Collator(undefined, { numeric: true });

/**
 * The order keys are shown in: numbers inside keys compare by value, so `item2` comes before
 * `item10`. Keys the collator deems equal (such as two encodings of `é`) fall back to code
 * unit order, so the order is the same on every render.
 *
 * @example ['item10', 'item2'].sort(compareKeys) // ['item2', 'item10']
 */
export function compareKeys(a: string, b: string): number {
	return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
