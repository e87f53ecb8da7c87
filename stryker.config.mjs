// `npm run test:mutation`: mutation testing of core/ and the server's write path, fan-out and
// connections (StrykerJS with its vitest runner). Not part of `npm test`: it takes long. The score
// and the mutants left alive are in docs/testing.md. MUTATE=file,file narrows what is mutated.
const mutate = process.env.MUTATE?.split(',') ?? [
	'core/src/**/*.ts',
	'!core/src/**/*.test.ts',
	'!core/src/testing.ts',
	'!core/src/store-contract.ts',
	'!core/src/index.ts',
	'server/src/write-path.ts',
	'server/src/write-decisions.ts',
	'server/src/fanout.ts',
	'server/src/connection.ts',
	'server/src/connection-writes.ts',
	'server/src/connection-subscriptions.ts',
	'server/src/connection-sender.ts',
];

export default {
	testRunner: 'vitest',
	vitest: { configFile: 'vitest.mutation.config.ts' },
	mutate,
	coverageAnalysis: 'perTest',
	ignoreStatic: true,
	concurrency: 2,
	timeoutMS: 20_000,
	reporters: ['clear-text', 'progress', 'json'],
	jsonReporter: { fileName: 'reports/mutation/mutation.json' },
	// In place: the workspace packages resolve each other through node_modules, which a sandbox copy would not reach.
	inPlace: true,
	tempDirName: '.stryker-tmp',
	cleanTempDir: 'always',
};
