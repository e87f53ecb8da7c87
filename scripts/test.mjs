// `npm test`: builds, type-checks, lints, runs every test, and ends with one line "N passed, M failed".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const report = '.vitest-report.json';
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

step('build', process.execPath, ['scripts/build.mjs']);
step('type check', 'npx', ['tsc', '-p', 'tsconfig.json']);
step('type check (core without DOM or Node types)', 'npx', ['tsc', '-p', 'core/tsconfig.json']);
step('lint', 'npx', ['eslint', '.', '--max-warnings', '0']);

rmSync(report, { force: true });
const vitest = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${report}`, ...process.argv.slice(2)], { stdio: 'inherit' });
if (existsSync(report)) {
	const results = JSON.parse(readFileSync(report, 'utf8'));
	passed += results.numPassedTests;
	failed += results.numFailedTests;
	// A test file that fails to load has no tests to count; count it as one failure.
	for (const file of results.testResults) if (file.status === 'failed' && file.assertionResults.length === 0) failed++;
} else if (vitest.status !== 0) {
	failed++;
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
