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
