// `npm test`: builds, type-checks, lints, runs every test, and ends with one line "N passed, M failed".
// A skipped test is listed and counts as failed: a test that does not run guards nothing.
// `--deep` instead runs the chaos, convergence and fuzz suites with many more seeds and frames (CI runs it after `npm test`).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const report = '.vitest-report.json';
const deep = process.argv.includes('--deep');
const filters = process.argv.slice(2).filter((arg) => arg !== '--deep');
let passed = 0;
let failed = 0;

function step(name, command, args) {
	const result = spawnSync(command, args, { stdio: 'inherit' });
	if (result.status === 0) passed++;
	else {
		failed++;
		console.error(`\n${name} failed`);
	}
	return result.status === 0;
}

/** Runs vitest with `args` (and `env`) and counts its tests; skipped ones count as failed unless the run was filtered. */
function runVitest(args, env = {}) {
	rmSync(report, { force: true });
	const vitest = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${report}`, ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
	if (!existsSync(report)) {
		if (vitest.status !== 0) failed++;
		return;
	}
	const results = JSON.parse(readFileSync(report, 'utf8'));
	passed += results.numPassedTests;
	failed += results.numFailedTests;
	// A test file that fails to load has no tests to count; count it as one failure.
	for (const file of results.testResults) if (file.status === 'failed' && file.assertionResults.length === 0) failed++;
	if (filters.length > 0) return;
	const skipped = results.testResults.flatMap((file) => file.assertionResults.filter((test) => ['skipped', 'pending', 'todo'].includes(test.status)).map((test) => `${file.name.replace(`${process.cwd()}/`, '')} > ${test.fullName}`));
	if (skipped.length > 0) {
		console.error(`\n${skipped.length} skipped test(s), counted as failed:\n${skipped.map((name) => `  ${name}`).join('\n')}`);
		failed += skipped.length;
	}
}

if (deep) {
	runVitest(['--project', 'ws', 'test/chaos.test.ts', 'test/convergence.test.ts', 'test/scale-out/chaos.test.ts', 'test/fuzz.test.ts'], {
		CHAOS_SEEDS: '100',
		CONVERGENCE_SEEDS: '100',
		CLUSTER_CHAOS_SEEDS: '60',
		FUZZ_FRAMES: '40000',
		FUZZ_SEED: '20261202',
	});
} else {
	step('build', process.execPath, ['scripts/build.mjs']);
	step('type check', 'npx', ['tsc', '-p', 'tsconfig.json']);
	step('type check (core without DOM or Node types)', 'npx', ['tsc', '-p', 'core/tsconfig.json']);
	step('lint', 'npx', ['eslint', '.', '--max-warnings', '0']);
	runVitest(filters);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
