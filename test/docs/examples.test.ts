import { readdirSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { codeBlocks } from '../helpers/docs';
import { DOCS_REDIS_URL, runProgram } from '../helpers/doc-programs';
import { blocksDirectory, typeCheckBlocks } from '../helpers/doc-types';
import { startRedis } from '../helpers/redis';
import { cleanup, startServer } from '../helpers/server';

// The TypeScript blocks of README.md and docs/: every one type-checks against test/docs/prelude.d.ts,
// and those fenced as ```ts run are whole programs that run as written against a real server (and,
// when they name the docs' Redis, against a redis-server of their own).

const PAGES = ['README.md', ...readdirSync('docs').filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const blocks = PAGES.flatMap(codeBlocks).filter((block) => block.language === 'ts' || block.language === 'tsx');
const programs = blocks.filter((block) => block.flags.includes('run'));

afterEach(cleanup);

test('every TypeScript block of README.md and docs/ type-checks against the prelude', () => {
	expect(blocks.length).toBeGreaterThan(30);
	const directory = blocksDirectory();
	try {
		expect(typeCheckBlocks(blocks, 'test/docs/prelude.d.ts', directory)).toEqual([]);
	} finally {
		rmSync(directory, { recursive: true, force: true });
	}
}, 60_000);

test('code fences carry no flag but `run`', () => {
	const unknown = PAGES.flatMap(codeBlocks).filter((block) => block.flags.some((flag) => flag !== 'run'));
	expect(unknown.map((block) => `${block.file}:${block.line - 1}: ${block.flags.join(' ')}`)).toEqual([]);
});

describe('whole programs', () => {
	test('are there', () => {
		expect(programs.map((block) => block.file)).toEqual(expect.arrayContaining(['README.md', 'docs/quick-start.md', 'docs/persistence.md', 'docs/scale-out.md']));
	});

	test.each(programs.map((block) => [`${block.file}:${block.line}`, block] as const))('%s runs against a server and ends by itself', async (_, block) => {
		const { url } = await startServer();
		const redis = block.code.includes(DOCS_REDIS_URL) ? await startRedis() : undefined;
		try {
			const result = await runProgram(block.code, url, undefined, redis?.url);
			expect(result.code, result.output).toBe(0);
		} finally {
			await redis?.stop();
		}
	}, 30_000);
});
