import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { blocksDirectory } from './doc-types';

export type ProgramResult = { code: number | null; output: string };

/** The Redis the docs' programs name; a program that uses it runs against the test's own. */
export const DOCS_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Runs a whole program of the docs as written, in a fresh Node process, except that it connects to
 * `url` instead of `ws://localhost:8080`, to `redis` (when given) instead of `DOCS_REDIS_URL`, and
 * listens on a random port instead of 8080. It runs in an empty temporary working directory (so
 * `./data` is a fresh folder) and must end by itself within `timeoutMs`. The packages resolve to
 * their sources, as in the other tests.
 */
export async function runProgram(code: string, url: string, timeoutMs = 15_000, redis?: string): Promise<ProgramResult> {
	let source = code.replaceAll('ws://localhost:8080', url).replace(/\.listen\(8080\b/g, '.listen(0');
	if (redis !== undefined) source = source.replaceAll(DOCS_REDIS_URL, redis);
	const directory = blocksDirectory();
	const script = join(directory, 'program.ts');
	writeFileSync(script, source);
	const cwd = mkdtempSync(join(tmpdir(), 'socketdb-docs-'));
	const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
	try {
		return await new Promise<ProgramResult>((done, fail) => {
			const child = spawn(process.execPath, ['--conditions=socketdb-source', '--import', tsx, script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
			let output = '';
			child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
			child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
			const timer = setTimeout(() => {
				child.kill('SIGKILL');
				fail(new Error(`the program did not end by itself within ${timeoutMs} ms; it printed: ${output}`));
			}, timeoutMs);
			child.on('error', fail);
			child.on('exit', (exitCode) => {
				clearTimeout(timer);
				done({ code: exitCode, output });
			});
		});
	} finally {
		rmSync(directory, { recursive: true, force: true });
		rmSync(cwd, { recursive: true, force: true });
	}
}
