// Builds every workspace into dist/ (ESM for Node plus type declarations) and the
// client's browser bundle. `--browser-only` builds just the bundle, `--js-only` skips the
// type declarations (for a quick start), `--quiet` prints nothing.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { addDeclarationExtensions } from './declaration-extensions.mjs';

const quiet = process.argv.includes('--quiet');
const browserOnly = process.argv.includes('--browser-only');
const jsOnly = process.argv.includes('--js-only');
const log = (line) => quiet || console.log(line);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

const shared = {
	bundle: true,
	format: 'esm',
	target: 'es2022',
	sourcemap: true,
	conditions: ['socketdb-source'],
	logLevel: 'warning',
};

// In dependency order: each package's declarations are built against the ones before it.
const packages = [
	{ dir: 'core', entries: ['src/index.ts', 'src/testing.ts', 'src/in-process.ts'], platform: 'neutral', external: ['krog', 'msgpackr', 'vitest'] },
	{ dir: 'server', entries: ['src/index.ts', 'src/crossws.ts'], platform: 'node', external: ['@socketdb/core', 'crossws', 'ws'] },
	{ dir: 'client', entries: ['src/index.ts'], platform: 'node', external: ['@socketdb/core', 'ws'] },
	{ dir: 'store-lmdb', entries: ['src/index.ts'], platform: 'node', external: ['@socketdb/core', 'lmdb'] },
	{ dir: 'redis', entries: ['src/index.ts'], platform: 'node', external: ['@socketdb/core', '@socketdb/server', 'ioredis'] },
	{ dir: 'react', entries: ['src/index.ts'], platform: 'neutral', external: ['@socketdb/client', '@socketdb/core', 'react'] },
	{ dir: 'cli', entries: ['src/index.ts', 'src/main.ts'], platform: 'node', external: ['@socketdb/core', '@socketdb/client', '@socketdb/server', '@socketdb/store-lmdb', '@socketdb/redis', 'commander', 'ws'] },
	{ dir: 'plugins/validate', entries: ['src/index.ts'], platform: 'node', external: ['@socketdb/core', '@socketdb/server', 'ajv', 'immer'] },
	{ dir: 'plugins/rules', entries: ['src/index.ts', 'src/testing.ts'], platform: 'node', external: ['@socketdb/core', '@socketdb/server'] },
];

if (!browserOnly) {
	for (const pkg of packages) {
		if (!jsOnly) rmSync(`${pkg.dir}/dist`, { recursive: true, force: true });
		await build({
			...shared,
			entryPoints: pkg.entries.map((entry) => `${pkg.dir}/${entry}`),
			outdir: `${pkg.dir}/dist`,
			outbase: `${pkg.dir}/src`,
			platform: pkg.platform,
			mainFields: ['module', 'main'],
			external: pkg.external,
			// Entries of one package share modules (and so classes such as WebsocketServerError) through chunks.
			splitting: pkg.entries.length > 1,
			chunkNames: 'chunks/[name]-[hash]',
		});
		if (!jsOnly) {
			execFileSync(process.execPath, [tsc, '-p', `${pkg.dir}/tsconfig.build.json`], { stdio: 'inherit' });
			addDeclarationExtensions(`${pkg.dir}/dist`);
		}
		log(`built ${pkg.dir}/dist`);
	}
}

// The inspector page's script, served by `socketdb serve`.
await build({
	...shared,
	entryPoints: ['cli/src/inspector/page/main.ts'],
	outfile: 'cli/dist/inspector/inspector.js',
	platform: 'browser',
	minify: true,
	sourcemap: false,
	legalComments: 'none',
});

const browserBundle = 'client/dist/socketdb-client.browser.js';
// Chunks of earlier builds (their names carry a hash) would otherwise pile up beside the bundle.
rmSync('client/dist/browser-chunks', { recursive: true, force: true });
// What a page rarely needs (offline persistence) is a chunk beside it, fetched when asked for.
await build({
	...shared,
	entryPoints: { 'socketdb-client.browser': 'client/src/index.ts' },
	outdir: 'client/dist',
	splitting: true,
	chunkNames: 'browser-chunks/[name]-[hash]',
	platform: 'browser',
	minify: true,
	sourcemap: false,
	legalComments: 'none',
});
const bytes = readFileSync(browserBundle);
const gzipped = gzipSync(bytes, { level: 9 }).length;
log(`built ${browserBundle}: ${(bytes.length / 1024).toFixed(1)} KB minified, ${(gzipped / 1024).toFixed(1)} KB min+gzip (budget 22 KB)`);
