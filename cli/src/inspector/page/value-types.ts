/**
 * The types a value can be edited as. The form shows a value's own type and reads the text by
 * the chosen one, so a string stays a string however much it looks like a number.
 */
export type ValueType = 'string' | 'number' | 'boolean' | 'null' | 'json';

export const VALUE_TYPES: readonly ValueType[] = ['string', 'number', 'boolean', 'null', 'json'];

/** What the type control says for each type. */
export const TYPE_LABELS: Readonly<Record<ValueType, string>> = {
	string: 'string',
	number: 'number',
	boolean: 'boolean',
	null: 'null',
	json: 'JSON',
};

/** The type a stored value is edited as: objects and arrays are JSON, a missing value is null. */
export function typeOfValue(value: unknown): ValueType {
	if (value === null || value === undefined) return 'null';
	switch (typeof value) {
		case 'string':
			return 'string';
		case 'number':
			return 'number';
		case 'boolean':
			return 'boolean';
		default:
			return 'json';
	}
}

/** The text the form's input holds for `value`: a string as is (no quotes), JSON for objects and arrays. */
export function textOfValue(value: unknown): string {
	switch (typeOfValue(value)) {
		case 'string':
			return value as string;
		case 'number':
		case 'boolean':
			return String(value);
		case 'null':
			return '';
		case 'json':
			return JSON.stringify(value);
	}
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Reads the form's text as `type`. A string is the text as is; a number must be a finite
 * number; a boolean `true` or `false`; null ignores the text; JSON must parse.
 *
 * @example parseAs('02134', 'string') // { ok: true, value: '02134' }
 * @example parseAs('12345', 'number') // { ok: true, value: 12345 }
 * @example parseAs('abc', 'number') // { ok: false, error: 'not a number: "abc"' }
 */
export function parseAs(text: string, type: ValueType): Parsed {
	switch (type) {
		case 'string':
			return { ok: true, value: text };
		case 'number': {
			const trimmed = text.trim();
			const number = Number(trimmed);
			// Number('') is 0: an empty input is no number.
			if (trimmed === '' || !Number.isFinite(number)) return { ok: false, error: `not a number: ${JSON.stringify(text)}` };
			return { ok: true, value: number };
		}
		case 'boolean': {
			const trimmed = text.trim();
			if (trimmed === 'true' || trimmed === 'false') return { ok: true, value: trimmed === 'true' };
			return { ok: false, error: `a boolean is true or false, not ${JSON.stringify(text)}` };
		}
		case 'null':
			return { ok: true, value: null };
		case 'json':
			try {
				return { ok: true, value: JSON.parse(text) as unknown };
			} catch {
				return { ok: false, error: `not valid JSON (for text, choose string): ${JSON.stringify(text)}` };
			}
	}
}

/** True when two JSON values are equal (objects key by key, in any order). */
export function sameValue(a: unknown, b: unknown): boolean {
	if (a === b) return true;
	if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
	if (Array.isArray(a) !== Array.isArray(b)) return false;
	const aKeys = Object.keys(a);
	const bKeys = Object.keys(b);
	if (aKeys.length !== bKeys.length) return false;
	return aKeys.every((key) => Object.hasOwn(b, key) && sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
