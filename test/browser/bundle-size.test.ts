import { gzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { buildBrowserBundle } from '../helpers/browser';

/** The browser bundle's budget, minified and gzipped (level 9), as docs/performance.md states it (W6). */
const BUDGET_BYTES = 22 * 1024;

test('the browser bundle, built as `npm run build` builds it, stays within 22 KB min+gzip', () => {
	const bundle = Buffer.from(buildBrowserBundle());
	expect(bundle.length).toBeGreaterThan(10_000);
	// What a page loads first is this file alone: rarely used parts are chunks imported when needed,
	// never chunks it imports statically (which the budget would not count).
	expect(bundle.toString().match(/\bimport\s*(?:[{*"'`]|[\w$]+\s+from)/g)).toBeNull();
	expect(bundle.toString()).toMatch(/import\("\.\/browser-chunks\//);
	const gzipped = gzipSync(bundle, { level: 9 }).length;
	expect(gzipped, `${(gzipped / 1024).toFixed(1)} KB min+gzip`).toBeLessThanOrEqual(BUDGET_BYTES);
}, 30_000);
