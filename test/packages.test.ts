import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

// The built packages as users' toolchains see them: the types of a user's project resolve under
// every module resolution, and each package passes publint and "are the types wrong" (as ESM-only
// packages: CommonJS users load them with import()).

const PACKAGES = ['core', 'client', 'server', 'store-lmdb', 'redis', 'cli', 'react', 'plugins/validate', 'plugins/rules'];

function run(command: string, args: string[], cwd = '.') {
	const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 });
	return { status: result.status, output: `${result.stdout}${result.stderr}`.replace(/npm warn.*\n/g, '') };
}

describe("a user's project type-checks against the built packages (strict, skipLibCheck false)", () => {
	test.each(['nodenext', 'node16', 'bundler'])('moduleResolution %s', (mode) => {
		expect(existsSync('client/dist/index.d.ts'), 'run `npm run build` first').toBe(true);
		const { status, output } = run('npx', ['tsc', '-p', `test/consumers/tsconfig.${mode}.json`]);
		expect(output).toBe('');
		expect(status).toBe(0);
	}, 120_000);
});

describe.each(PACKAGES)('%s', (dir) => {
	test('publint finds nothing wrong', () => {
		const { status, output } = run('npx', ['publint', dir]);
		expect(output).toMatch(/All good!/);
		expect(status).toBe(0);
	}, 60_000);

	test('are the types wrong: nothing, for ESM under node16 and bundlers', () => {
		const { status, output } = run('npx', ['attw', '--pack', '.', '--profile', 'esm-only', '--format', 'ascii'], dir);
		// It exits with 1 on any problem but those of CommonJS and node10 resolution, which the profile leaves out.
		expect(output).toMatch(/ignoring resolutions: 'node10', 'node16-cjs'/);
		expect(status, output).toBe(0);
	}, 60_000);
});
