import { rmSync } from 'node:fs';
import { expect, test } from 'vitest';
import { ERROR_CODES } from '@socketdb/core';
import { tableRows } from '../helpers/docs';
import { blocksDirectory, stringLiterals } from '../helpers/doc-types';

// The tables of docs/errors.md against the code: each documents every value, and only values that exist.

/** The values a table names in its first column (`CODE`). */
function firstColumn(file: string, heading: string): string[] {
	return tableRows(file, heading).map(([cell = '']) => {
		const value = /^`([^`]+)`$/.exec(cell)?.[1];
		if (value === undefined) throw new Error(`${file}, "${heading}": the first cell of a row is not one \`value\`: ${cell}`);
		return value;
	});
}

/** What each side has that the other lacks. */
function difference(documented: readonly string[], actual: readonly string[]) {
	return { undocumented: actual.filter((value) => !documented.includes(value)), documentedButUnknown: documented.filter((value) => !actual.includes(value)) };
}

test('the error codes table of docs/errors.md lists exactly the exported ERROR_CODES', () => {
	const documented = firstColumn('docs/errors.md', 'Errors');
	expect(difference(documented, ERROR_CODES)).toEqual({ undocumented: [], documentedButUnknown: [] });
	expect(new Set(documented).size).toBe(documented.length);
});

test("the goodbye reasons table of docs/errors.md lists exactly the reasons of GoodbyeMessage's type", () => {
	const directory = blocksDirectory();
	try {
		const reasons = stringLiterals("import type { GoodbyeMessage } from '@socketdb/core';\nexport type Reason = GoodbyeMessage['reason'];\n", 'Reason', directory);
		expect(reasons).toContain('server-shutdown');
		const documented = firstColumn('docs/errors.md', 'Goodbye reasons');
		expect(difference(documented, reasons)).toEqual({ undocumented: [], documentedButUnknown: [] });
		expect(new Set(documented).size).toBe(documented.length);
	} finally {
		rmSync(directory, { recursive: true, force: true });
	}
}, 30_000);
