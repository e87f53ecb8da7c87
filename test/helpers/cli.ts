import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI = 'server/bin/socketdb.js';

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

/** Runs `socketdb ...args` (the built CLI) to its end; `uid`/`gid` run it as another user. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number; env?: Record<string, string>; uid?: number; gid?: number } = {}): Promise<CliResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [join(process.cwd(), CLI), ...args], {
			cwd: options.cwd ?? process.cwd(),
			env: environment(options.env),
			stdio: ['ignore', 'pipe', 'pipe'],
			...(options.uid === undefined ? {} : { uid: options.uid }),
			...(options.gid === undefined ? {} : { gid: options.gid }),
		});
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

/** Starts `socketdb serve --port 0 ...args` and resolves once it listens. */
export function startServe(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<ServeProcess> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [join(process.cwd(), CLI), 'serve', '--port', '0', ...args], {
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
