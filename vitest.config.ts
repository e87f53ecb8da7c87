import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of every workspace (the `socketdb-source`
// export condition); the built dist files are exercised by the dist smoke test.
const conditions = ['socketdb-source', 'module', 'node', 'development|production'];

export default defineConfig({
	resolve: { conditions },
	ssr: { resolve: { conditions, externalConditions: ['socketdb-source'] } },
	test: {
		include: ['core/src/**/*.test.ts', 'client/src/**/*.test.ts', 'server/src/**/*.test.ts', 'plugins/*/src/**/*.test.ts', 'test/**/*.test.ts'],
		testTimeout: 15_000,
		hookTimeout: 20_000,
		pool: 'forks',
		server: { deps: { inline: [/@socketdb\//] } },
	},
});
