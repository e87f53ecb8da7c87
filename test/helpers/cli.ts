import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CLI = 'cli/bin/socketdb.js';

export type CliResult = { code: number | null; stdout: string; stderr: string };

/**
 * The environment commands run with: the test's own, without a server token unless the test
 * gives one, plus `extra`.
 */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
	const env = { ...process.env, ...extra };
	if (extra['SOCKETDB_TOKEN'] === undefined) delete env['SOCKETDB_TOKEN'];
	return env;
}

/**
 * Loads the CLI as the starting user, then becomes `uid`/`gid` and runs it: the command works
 * under another user's rights wherever the checkout lies, even where that user could not read it.
 */
const RUN_AS = `
	const [main, uid, gid, ...args] = process.argv.slice(1);
	const { main: run } = await import(main);
	process.setgroups([Number(gid)]);
	process.setgid(Number(gid));
	process.setuid(Number(uid));
	await run(['node', 'socketdb', ...args]);`;

/**
 * Runs `socketdb ...args` (the built CLI, or the one at `bin`) to its end; `as` runs it as another
 * user (the test must be root).
 */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number; env?: Record<string, string>; as?: { uid: number; gid: number }; bin?: string } = {}): Promise<CliResult> {
	return new Promise((resolve, reject) => {
		const { as } = options;
		const command =
			as === undefined
				? [options.bin ?? join(process.cwd(), CLI), ...args]
				: ['--input-type=module', '-e', RUN_AS, pathToFileURL(join(process.cwd(), 'cli/dist/main.js')).href, String(as.uid), String(as.gid), ...args];
		const child = spawn(process.execPath, command, { cwd: options.cwd ?? process.cwd(), env: environment(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`socketdb ${args.join(' ')} did not finish in time; stderr: ${stderr}`));
		}, options.timeoutMs ?? 20_000);
		child.on('close', (code) => {
			clearTimeout(timer);
			resolve({ code, stdout, stderr });
		});
	});
}

export type ServeProcess = { child: ChildProcess; port: number; url: string; output: () => string; exited: Promise<number | null> };

/** Starts `socketdb serve --port 0 ...args` (the built CLI, or the one at `bin`) and resolves once it listens. */
export function startServe(args: string[], options: { cwd?: string; env?: Record<string, string>; bin?: string } = {}): Promise<ServeProcess> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [options.bin ?? join(process.cwd(), CLI), 'serve', '--port', '0', ...args], {
			cwd: options.cwd ?? process.cwd(),
			env: environment(options.env),
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let output = '';
		const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`socketdb serve did not start: ${output}`));
		}, 15_000);
		const onData = (chunk: Buffer) => {
			output += chunk.toString();
			const match = /listening on (ws:\/\/[^ ]+:(\d+))/.exec(output);
			if (match !== null) {
				clearTimeout(timer);
				resolve({ child, port: Number(match[2]), url: match[1]!, output: () => output, exited });
			}
		};
		child.stdout!.on('data', onData);
		child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
		void exited.then((code) => {
			clearTimeout(timer);
			reject(new Error(`socketdb serve exited with ${code}: ${output}`));
		});
	});
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function temporaryDirectory(prefix = 'socketdb-'): { path: string; remove: () => void } {
	const path = mkdtempSync(join(tmpdir(), prefix));
	return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
