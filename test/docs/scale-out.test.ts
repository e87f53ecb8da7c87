import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { nodeify } from '@socketdb/core';
import { createLmdbStore } from '@socketdb/store-lmdb';
import { temporaryDirectory } from '../helpers/cli';
import { codeBlock } from '../helpers/docs';
import { blocksDirectory } from '../helpers/doc-types';
import { freePort, startRedis, type TestRedis } from '../helpers/redis';
import { cleanup, connectClient, startServer } from '../helpers/server';

// docs/scale-out.md's server of your own, run as written: two copies of it are one database, and
// one that cannot be part of the database (another database's data, no Redis) exits with 1.

const SERVER = codeBlock('docs/scale-out.md', 'In a server of your own', 'ts');

type Running = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

let redis: TestRedis;
let directory: string;
const running: Running[] = [];
const removals: (() => void)[] = [];

beforeAll(async () => {
	redis = await startRedis();
	directory = blocksDirectory();
	writeFileSync(join(directory, 'server.ts'), SERVER);
});
afterEach(async () => {
	await cleanup();
	for (const process of running.splice(0)) {
		if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill('SIGKILL');
		await process.exited;
	}
	for (const remove of removals.splice(0)) remove();
});
afterAll(async () => {
	await redis.stop();
	rmSync(directory, { recursive: true, force: true });
});

function dataDirectory(): string {
	const data = temporaryDirectory('socketdb-docs-node-');
	removals.push(data.remove);
	return data.path;
}

/** Starts the docs' server.ts with the given environment (a free port, the test's Redis unless told otherwise). */
function startDocServer(env: Record<string, string>): Running {
	const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
	const child = spawn(process.execPath, ['--conditions=socketdb-source', '--import', tsx, join(directory, 'server.ts')], {
		env: { ...process.env, PORT: '0', REDIS_URL: redis.url, ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const started: Running = { child, output: () => output, exited: new Promise((done) => child.on('exit', (code) => done(code))) };
	running.push(started);
	return started;
}

async function portOf(server: Running): Promise<number> {
	await expect.poll(() => /listening on port (\d+)/.exec(server.output())?.[1], { timeout: 15_000 }).toBeDefined();
	return Number(/listening on port (\d+)/.exec(server.output())![1]);
}

test('two copies of the server of your own are one database, and end with 0 on SIGTERM', async () => {
	const a = startDocServer({ DATA_DIR: dataDirectory() });
	const b = startDocServer({ DATA_DIR: dataDirectory() });
	const writer = connectClient(`ws://127.0.0.1:${await portOf(a)}`);
	const reader = connectClient(`ws://127.0.0.1:${await portOf(b)}`);
	const seen: unknown[] = [];
	reader.get('orders/1').on((order) => seen.push(order));
	await writer.get('orders/1').set({ item: 'book' });
	await expect.poll(() => seen.at(-1)).toEqual({ item: 'book' });
	writer.disconnect();
	reader.disconnect();
	a.child.kill('SIGTERM');
	b.child.kill('SIGTERM');
	expect(await a.exited, a.output()).toBe(0);
	expect(await b.exited, b.output()).toBe(0);
}, 40_000);

test('a copy on the data of a server on its own (another database) exits with 1 and says why', async () => {
	const data = dataDirectory();
	const store = createLmdbStore({ path: data });
	const alone = await startServer({ store });
	await alone.server.update(nodeify({ mine: true }));
	await alone.close();
	await store.close();
	// The cluster exists already (another process made it), so this data cannot become its data.
	const first = startDocServer({ DATA_DIR: dataDirectory() });
	await portOf(first);

	const refused = startDocServer({ DATA_DIR: data });
	expect(await refused.exited).toBe(1);
	// Closed cleanly, that server left its database's id with its data.
	expect(refused.output()).toMatch(/the store holds data of another database \([0-9a-f-]+\); cluster "shop" is database/);
}, 40_000);

test('a copy that cannot reach Redis exits with 1 and says why', async () => {
	const unreachable = startDocServer({ DATA_DIR: dataDirectory(), REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
	expect(await unreachable.exited).toBe(1);
	expect(unreachable.output()).toContain('cannot reach Redis');
}, 40_000);
