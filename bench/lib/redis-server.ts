/**
 * A private `redis-server` for the bench: on a free loopback port, working in a temp directory,
 * without persistence; asked for its counters in plain RESP (one command per connection).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './stats';

export type BenchRedis = {
	url: string;
	pid: number;
	/** Sends one command and resolves with its reply as text (a status, a number or a bulk string). */
	command(...args: string[]): Promise<string>;
	/** Stops it (SIGTERM by its PID) and removes its directory. */
	stop(): Promise<void>;
};

export async function startRedis(): Promise<BenchRedis> {
	const directory = mkdtempSync(join(tmpdir(), 'socketdb-bench-redis-'));
	const port = await freePort();
	const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory], { stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
		await gone;
		rmSync(directory, { recursive: true, force: true });
	};
	const command = (...args: string[]) => redisCommand(port, args);
	const deadline = Date.now() + 10_000;
	for (;;) {
		if ((await command('PING').catch(() => '')) === 'PONG') break;
		if (child.exitCode !== null || Date.now() > deadline) {
			await stop();
			throw new Error(`redis-server did not start: ${output}`);
		}
		await sleep(25);
	}
	return { url: `redis://127.0.0.1:${port}`, pid: child.pid!, command, stop };
}

/** Parses `INFO` text into its fields (`total_commands_processed`, `cmdstat_xread`, ...). */
export function parseInfo(text: string): Map<string, string> {
	const fields = new Map<string, string>();
	for (const line of text.split('\r\n')) {
		const colon = line.indexOf(':');
		if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
	}
	return fields;
}

/** The calls of every command that was called, from `INFO commandstats`: `{ xread: 1200, ... }`. */
export function commandCalls(info: Map<string, string>): Record<string, number> {
	const calls: Record<string, number> = {};
	for (const [key, value] of info) {
		const match = /^cmdstat_(.+)$/.exec(key);
		const count = /(?:^|,)calls=(\d+)/.exec(value);
		if (match !== null && count !== null) calls[match[1]!] = Number(count[1]);
	}
	return calls;
}

async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	await new Promise((resolve) => server.close(resolve));
	return port;
}

/** One command over a connection of its own; a reply of one line or one bulk string. */
function redisCommand(port: number, args: string[]): Promise<string> {
	return new Promise((resolve, reject) => {
		const socket = connect({ port, host: '127.0.0.1' });
		let reply = Buffer.alloc(0);
		socket.setTimeout(5_000, () => socket.destroy(new Error(`redis ${args[0]} timed out`)));
		socket.on('connect', () => socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`));
		socket.on('data', (chunk: Buffer) => {
			reply = Buffer.concat([reply, chunk]);
			const lineEnd = reply.indexOf('\r\n');
			if (lineEnd < 0) return;
			const kind = String.fromCharCode(reply[0]!);
			const line = reply.subarray(1, lineEnd).toString();
			if (kind === '-') return socket.destroy(new Error(`redis ${args[0]}: ${line}`));
			if (kind !== '$') {
				socket.end();
				return resolve(line);
			}
			const length = Number(line);
			if (reply.length < lineEnd + 2 + length + 2) return;
			socket.end();
			resolve(reply.subarray(lineEnd + 2, lineEnd + 2 + length).toString());
		});
		socket.on('error', reject);
	});
}
