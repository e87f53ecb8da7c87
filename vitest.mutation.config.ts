import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// The tests `npm run test:mutation` runs for each mutant (see stryker.config.mjs): those
// MUTATION_TESTS names (comma-separated globs), by default the unit tests of core and the server,
// once (not again over crossws).
export default defineConfig({
	...base,
	test: {
		...base.test,
		projects: undefined,
		include: (process.env['MUTATION_TESTS'] ?? 'core/src/**/*.test.ts,server/src/**/*.test.ts').split(','),
	},
});
