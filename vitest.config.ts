import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of every workspace (the `socketdb-source`
// export condition); the built dist files are exercised by the dist smoke test.
const conditions = ['socketdb-source', 'module', 'node', 'development|production'];

export default defineConfig({
	resolve: { conditions },
	ssr: { resolve: { conditions, externalConditions: ['socketdb-source'] } },
	test: {
		testTimeout: 15_000,
		hookTimeout: 20_000,
		pool: 'forks',
		server: { deps: { inline: [/@socketdb\//] } },
		projects: [
			{
				extends: true,
				test: {
					name: 'ws',
					include: ['core/src/**/*.test.ts', 'client/src/**/*.test.ts', 'server/src/**/*.test.ts', 'store-lmdb/src/**/*.test.ts', 'redis/src/**/*.test.ts', 'cli/src/**/*.test.ts', 'react/src/**/*.test.ts', 'plugins/*/src/**/*.test.ts', 'test/**/*.test.ts'],
				},
			},
			{
				// The integration suite again, over crossws's Node adapter instead of ws. Left out:
				// tests of the ws transport itself, of the CLI and built packages, and the browser
				// tests (their page server mounts the ws transport).
				extends: true,
				test: {
					name: 'crossws',
					include: ['test/*.test.ts'],
					exclude: ['test/upgrade.test.ts', 'test/cli.test.ts', 'test/serve-defaults.test.ts', 'test/quick-start.test.ts', 'test/import.test.ts', 'test/crash.test.ts', 'test/dist.test.ts', 'test/boundaries.test.ts', 'test/types.test.ts', 'test/packages.test.ts', 'test/h3-recipes.test.ts', 'test/in-process-transport.test.ts'],
					env: { SOCKETDB_TRANSPORT: 'crossws' },
				},
			},
		],
	},
});
