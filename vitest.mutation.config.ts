import { defineConfig } from 'vitest/config';

// The tests `npm run test:mutation` runs for each mutant (see stryker.config.mjs): the unit tests of
// the mutated modules and the integration tests over ws, once (not again over crossws).
const conditions = ['socketdb-source', 'module', 'node', 'development|production'];

export default defineConfig({
	resolve: { conditions },
	ssr: { resolve: { conditions, externalConditions: ['socketdb-source'] } },
	test: {
		testTimeout: 15_000,
		hookTimeout: 20_000,
		pool: 'forks',
		server: { deps: { inline: [/@socketdb\//] } },
		include: (process.env['MUTATION_TESTS'] ?? 'core/src/**/*.test.ts,server/src/**/*.test.ts').split(','),
	},
});
