/** Starting and stopping the bench's child processes: forked workers on IPC and `socketdb serve`. */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { requester } from './ipc';

/**
 * BENCH_PROFILE=server or =clients writes a CPU profile of that process to bench/results/profiles
 * (=serve: of every `socketdb serve` process W10 starts).
 */
const profile = process.env['BENCH_PROFILE'];
const profileFlags = ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'];

export type Worker = { child: ChildProcess; request: ReturnType<typeof requester> };

/** Forks a bench script (run by tsx) and resolves once it said it is ready. */
export function start(script: string, env: Record<string, string>): Promise<Worker> {
	const profiled = profile !== undefined && script.includes(profile) ? profileFlags : [];
	const extraFlags = process.env['BENCH_NODE_FLAGS']?.split(' ').filter(Boolean) ?? [];
	const child = fork(script, [], { execArgv: ['--import', 'tsx', '--expose-gc', ...profiled, ...extraFlags], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
	const request = requester(child);
	return new Promise((resolve, reject) => {
		child.once('message', () => resolve({ child, request }));
		child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
	});
}

/** Waits for a child to exit (so its profile is written), killing it after 10 s. */
export function exited(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((resolve) => {
		const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
		child.once('exit', () => {
			clearTimeout(timer);
			resolve();
		});
	});
}

/** The URL a `socketdb serve` child prints once it listens. */
export function listeningUrl(serve: ChildProcess & { stdout: NodeJS.ReadableStream }): Promise<string> {
	return new Promise<string>((resolve, reject) => {
		let output = '';
		serve.stdout.on('data', (chunk: Buffer) => {
			output += chunk.toString();
			const match = /listening on (ws:\/\/\S+)/.exec(output);
			if (match !== null) resolve(match[1]!);
		});
		serve.once('exit', (code) => reject(new Error(`socketdb serve exited with ${code}`)));
	});
}

/**
 * Runs `socketdb serve <args>` (the built CLI, as applications run it) and resolves with its URL
 * once it listens. Only `args` say whether it joins a Redis: SOCKETDB_REDIS_URL is cleared.
 */
export async function startServe(args: string[]): Promise<{ child: ChildProcess; url: string }> {
	const profiled = profile === 'serve' ? profileFlags : [];
	const child = spawn(process.execPath, [...profiled, 'cli/bin/socketdb.js', 'serve', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SOCKETDB_REDIS_URL: '' } });
	try {
		return { child, url: await listeningUrl(child) };
	} catch (error) {
		child.kill('SIGKILL');
		throw error;
	}
}
