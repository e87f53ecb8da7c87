import { gzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { buildBrowserBundle } from '../helpers/browser';

/** The browser bundle's budget, minified and gzipped (level 9), as docs/performance.md states it (W6). */
const BUDGET_BYTES = 22 * 1024;

test('the browser bundle, built as `npm run build` builds it, stays within 22 KB min+gzip', () => {
	const bundle = Buffer.from(buildBrowserBundle());
	expect(bundle.length).toBeGreaterThan(10_000);
	const gzipped = gzipSync(bundle, { level: 9 }).length;
	expect(gzipped, `${(gzipped / 1024).toFixed(1)} KB min+gzip`).toBeLessThanOrEqual(BUDGET_BYTES);
}, 30_000);
