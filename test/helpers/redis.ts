import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopNodes } from './cluster';
import { cleanup } from './server';
import { closeTcpProxies } from './tcp-proxy';

/**
 * A `redis-server` of the test's own, on a free loopback port, working in a temp directory.
 * `restart()` stops it hard (SIGKILL) and starts it again on the same port and directory, so
 * with `appendonly` what it had acknowledged comes back from the AOF.
 */
export type TestRedis = {
	url: string;
	port: number;
	pid: () => number;
	/** Stops it by its PID (SIGKILL) and waits until it is gone. */
	kill: () => Promise<void>;
	/** Starts it again after `kill()`. */
	start: () => Promise<void>;
	restart: () => Promise<void>;
	/** Stops it and removes its directory. */
	stop: () => Promise<void>;
};

export async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	await new Promise((resolve) => server.close(resolve));
	return port;
}

export async function startRedis(options: { appendonly?: boolean } = {}): Promise<TestRedis> {
	const dir = mkdtempSync(join(tmpdir(), 'socketdb-redis-'));
	const port = await freePort();
	let child: ChildProcess | undefined;
	const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--appendonly', options.appendonly === true ? 'yes' : 'no', '--appendfsync', 'always', '--protected-mode', 'yes'];
	const start = async () => {
		child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
		const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
		const deadline = Date.now() + 10_000;
		while (!(await answersPing(port))) {
			if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start: ${output}`);
			await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 25))]);
		}
	};
	const kill = async () => {
		const running = child;
		child = undefined;
		if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
		const exited = new Promise((resolve) => running.once('exit', resolve));
		process.kill(running.pid!, 'SIGKILL');
		await exited;
	};
	await start();
	return {
		url: `redis://127.0.0.1:${port}`,
		port,
		pid: () => child!.pid!,
		kill,
		start,
		async restart() {
			await kill();
			await start();
		},
		async stop() {
			await kill();
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

function answersPing(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect({ port, host: '127.0.0.1' });
		let reply = '';
		socket.setTimeout(1_000, () => socket.destroy());
		socket.on('connect', () => socket.write('PING\r\n'));
		socket.on('data', (chunk) => {
			reply += chunk.toString();
			if (reply.includes('\r\n')) {
				socket.destroy();
				resolve(reply.startsWith('+PONG'));
			}
		});
		socket.on('error', () => resolve(false));
		socket.on('close', () => resolve(false));
	});
}

/**
 * One `redis-server` for the test file (started before its tests, stopped after them), and after
 * each test the clients, cluster nodes, TCP proxies and `extra` cleanups it left are stopped.
 * Returns a getter.
 */
export function redisForTests(options: { appendonly?: boolean } = {}, extra: () => Promise<void> | void = () => undefined): () => TestRedis {
	let redis: TestRedis | undefined;
	beforeAll(async () => {
		redis = await startRedis(options);
	});
	afterAll(() => redis?.stop());
	afterEach(async () => {
		await cleanup();
		await stopNodes();
		await closeTcpProxies();
		await extra();
	});
	return () => redis!;
}

/**
 * The errors a process reported other than those of its Redis being out of reach or restarted
 * (reading the log or publishing the connection counts failed and was tried again; Redis lost
 * changes, which were put back): a test that cuts a process off from Redis expects those, and
 * nothing else.
 */
export function besidesRedisOutages(errors: readonly Error[]): string[] {
	return errors.map((error) => error.message).filter((message) => !/^((reading the log|publishing this process's connection counts) failed|Redis lost )/.test(message));
}
