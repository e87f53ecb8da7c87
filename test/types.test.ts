import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';

test('schema typing and declaration merging type-check (every @ts-expect-error is an error)', () => {
	const result = spawnSync('npx', ['tsc', '-p', 'test/types/tsconfig.json'], { encoding: 'utf8' });
	expect(result.stdout + result.stderr.replace(/npm warn.*\n/g, '')).toBe('');
	expect(result.status).toBe(0);
}, 60_000);
