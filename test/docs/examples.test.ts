import { readdirSync, rmSync } from 'node:fs';
import { expect, test } from 'vitest';
import { codeBlocks } from '../helpers/docs';
import { blocksDirectory, typeCheckBlocks } from '../helpers/doc-types';

// The TypeScript blocks of README.md and docs/: every one type-checks against test/docs/prelude.d.ts.

const PAGES = ['README.md', ...readdirSync('docs').filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const blocks = PAGES.flatMap(codeBlocks).filter((block) => block.language === 'ts' || block.language === 'tsx');

test('every TypeScript block of README.md and docs/ type-checks against the prelude', () => {
	expect(blocks.length).toBeGreaterThan(30);
	const directory = blocksDirectory();
	try {
		expect(typeCheckBlocks(blocks, 'test/docs/prelude.d.ts', directory)).toEqual([]);
	} finally {
		rmSync(directory, { recursive: true, force: true });
	}
}, 60_000);
