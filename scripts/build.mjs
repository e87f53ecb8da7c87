// Builds every workspace into dist/ (ESM for Node) and the client's browser bundle.
import { gzipSync } from 'node:zlib';
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const quiet = process.argv.includes('--quiet');
const log = (line) => quiet || console.log(line);

const shared = {
	bundle: true,
	format: 'esm',
	target: 'es2022',
	sourcemap: true,
	conditions: ['socketdb-source'],
	logLevel: 'warning',
};

const packages = [
	{ dir: 'core', entries: ['src/index.ts'], platform: 'neutral', external: ['krog', 'msgpackr'] },
	{ dir: 'client', entries: ['src/index.ts'], platform: 'node', external: ['@socketdb/core', 'immer', 'ws'] },
	{ dir: 'server', entries: ['src/index.ts', 'src/bin/start.ts'], platform: 'node', external: ['@socketdb/core', 'ws'] },
	{ dir: 'plugins/validate', entries: ['src/index.ts'], platform: 'node', external: ['@socketdb/core', '@socketdb/server', 'ajv', 'immer'] },
];

for (const pkg of packages) {
	rmSync(`${pkg.dir}/dist`, { recursive: true, force: true });
	await build({
		...shared,
		entryPoints: pkg.entries.map((entry) => `${pkg.dir}/${entry}`),
		outdir: `${pkg.dir}/dist`,
		outbase: `${pkg.dir}/src`,
		platform: pkg.platform,
		mainFields: ['module', 'main'],
		external: pkg.external,
	});
	log(`built ${pkg.dir}/dist`);
}

const browserBundle = 'client/dist/socketdb-client.browser.js';
await build({
	...shared,
	entryPoints: ['client/src/index.ts'],
	outfile: browserBundle,
	platform: 'browser',
	minify: true,
	sourcemap: false,
	legalComments: 'none',
});
const bytes = readFileSync(browserBundle);
const gzipped = gzipSync(bytes, { level: 9 }).length;
log(`built ${browserBundle}: ${(bytes.length / 1024).toFixed(1)} KB minified, ${(gzipped / 1024).toFixed(1)} KB min+gzip (budget 22 KB)`);
