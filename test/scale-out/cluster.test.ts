import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect, test } from 'vitest';
import { runCli, temporaryDirectory } from '../helpers/cli';
import { startNode } from '../helpers/cluster';
import { freePort, redisForTests, startRedis } from '../helpers/redis';
import { connectClient } from '../helpers/server';

// Nodes are `socketdb serve --redis` child processes; clients connect to them over real sockets.

const testRedis = redisForTests({ appendonly: true });
let clusters = 0;
const cluster = () => `t${++clusters}`;

test('writes taken by any node reach the subscribers of every node', async () => {
	const name = cluster();
	const redis = testRedis();
	const nodes = await Promise.all([startNode(redis.url, name), startNode(redis.url, name), startNode(redis.url, name)]);
	const clients = nodes.map((node) => connectClient(node.url));
	const seen = clients.map(() => new Map<string, unknown>());
	clients.forEach((client, i) => client.get('board').on((value) => seen[i]!.set('board', value)));
	await Promise.all(clients.map((client, i) => client.get('board').get(`from${i}`).set(i)));
	for (const view of seen) await expect.poll(() => view.get('board')).toEqual({ from0: 0, from1: 1, from2: 2 });
	expect(nodes[0]!.output()).toContain(`cluster "${name}" on redis://127.0.0.1:${redis.port}`);
});

test('a query on one node follows the writes taken by every node', async () => {
	const name = cluster();
	const redis = testRedis();
	const [a, b] = await Promise.all([startNode(redis.url, name), startNode(redis.url, name)]);
	const writers = [connectClient(a!.url), connectClient(b!.url)];
	const readers = [connectClient(a!.url), connectClient(b!.url)];
	const tops = readers.map(() => [] as string[]);
	readers.forEach((reader, i) => reader.get('scores').orderByChild('points').limitToLast(3).on((entries) => (tops[i] = entries.map(({ key, value }) => `${key}:${(value as { points: number }).points}`))));
	const points = new Map<string, number>();
	const writes: Promise<void>[] = [];
	for (let i = 0; i < 60; i++) {
		const player = `p${i % 12}`;
		const score = (i * 37) % 101;
		points.set(player, score);
		writes.push(Promise.resolve(writers[i % 2]!.get(`scores/${player}`).set({ points: score })));
	}
	await Promise.all(writes);
	const expected = [...points]
		.sort(([ka, a], [kb, b]) => a - b || (ka < kb ? -1 : 1))
		.slice(-3)
		.map(([key, score]) => `${key}:${score}`);
	for (const i of [0, 1]) await expect.poll(() => tops[i]).toEqual(expected);
});

test('concurrent writers on two nodes: every observer ends at the same state and sees each writer in order', async () => {
	const name = cluster();
	const redis = testRedis();
	const [a, b] = await Promise.all([startNode(redis.url, name), startNode(redis.url, name)]);
	const writers = [connectClient(a!.url), connectClient(b!.url)];
	const observers = [connectClient(a!.url), connectClient(b!.url), connectClient(a!.url), connectClient(b!.url)];
	const N = 150;
	const paths = ['x', 'y', 'z'];
	const histories = observers.map(() => new Map<string, string[]>(paths.map((path) => [path, []])));
	const finals = observers.map(() => new Map<string, unknown>());
	await Promise.all(
		observers.map(
			(observer, i) =>
				new Promise<void>((ready) => {
					let pending = paths.length;
					for (const path of paths)
						observer.get(`race/${path}`).on((value) => {
							finals[i]!.set(path, value);
							if (typeof value === 'string') histories[i]!.get(path)!.push(value);
							if (value === null && --pending === 0) ready();
						});
				}),
		),
	);
	const writes: Promise<unknown>[] = [];
	for (let n = 0; n < N; n++) {
		writers.forEach((writer, w) => {
			const path = paths[(n + w) % paths.length]!;
			writes.push(Promise.resolve(writer.get(`race/${path}`).set(`w${w}:${String(n).padStart(4, '0')}`)));
		});
	}
	await Promise.all(writes);
	// Both writers' last values are acknowledged; every observer settles on one and the same state.
	const reference = connectClient(a!.url);
	const expected = await new Promise<unknown>((resolve) => reference.get('race').once(resolve));
	for (const final of finals) await expect.poll(() => Object.fromEntries(final)).toEqual(expected);
	for (const history of histories) {
		for (const values of history.values()) {
			for (const w of [0, 1]) {
				const mine = values.filter((value) => value.startsWith(`w${w}:`));
				expect(mine).toEqual([...mine].sort());
			}
		}
	}
});

test('a node that joins late with an empty data directory serves the whole tree', async () => {
	const name = cluster();
	const redis = testRedis();
	const first = await startNode(redis.url, name);
	const writer = connectClient(first.url);
	const tree: Record<string, number> = {};
	for (let i = 0; i < 200; i++) tree[`k${i}`] = i;
	await writer.get('tree').set(tree);
	await writer.get('tree/k3').delete();
	const late = await startNode(redis.url, name);
	const reader = connectClient(late.url);
	const { k3: _gone, ...expected } = tree;
	await expect.poll(() => new Promise((resolve) => reader.get('tree').once(resolve))).toEqual(expected);
	// It takes part from then on, both ways.
	await connectClient(late.url).get('tree/k3').set(3);
	await expect.poll(() => new Promise((resolve) => writer.get('tree/k3').once(resolve))).toBe(3);
});

test('a restarted node reads the log from its own position and keeps its data', async () => {
	const name = cluster();
	const redis = testRedis();
	const [a, b] = await Promise.all([startNode(redis.url, name), startNode(redis.url, name)]);
	await connectClient(a!.url).get('doc').set({ v: 1 });
	await expect.poll(() => new Promise((resolve) => connectClient(b!.url).get('doc/v').once(resolve))).toBe(1);
	await b!.kill9();
	await connectClient(a!.url).get('doc').set({ w: 2 });
	const again = await startNode(redis.url, name, { data: b!.data });
	await expect.poll(() => new Promise((resolve) => connectClient(again.url).get('doc').once(resolve))).toEqual({ v: 1, w: 2 });
});

test('Redis restarted (append-only file): acknowledged writes survive and the nodes resume', async () => {
	const name = cluster();
	const redis = testRedis();
	const [a, b] = await Promise.all([startNode(redis.url, name), startNode(redis.url, name)]);
	const writer = connectClient(a!.url);
	const reader = connectClient(b!.url);
	let seen: unknown;
	reader.get('counter').on((value) => (seen = value));
	for (let i = 1; i <= 20; i++) await writer.get('counter').set(i);
	await expect.poll(() => seen).toBe(20);
	await redis.restart();
	// Writes made while Redis is back up go through on both; the count is not reset by the restart.
	await writer.get('counter').set(21);
	await expect.poll(() => seen, { timeout: 10_000 }).toBe(21);
	const late = await startNode(redis.url, name);
	await expect.poll(() => new Promise((resolve) => connectClient(late.url).get('counter').once(resolve))).toBe(21);
});

test('an unreachable Redis at start: one clear line, exit code 1', async () => {
	const port = await freePort();
	const result = await runCli(['serve', '--port', '0', '--memory', '--no-inspector', '--redis', `redis://127.0.0.1:${port}`]);
	expect(result.code).toBe(1);
	const lines = result.stderr.trim().split('\n');
	expect(lines).toHaveLength(1);
	expect(lines[0]).toMatch(new RegExp(`^socketdb: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}`));
	// The same from SOCKETDB_REDIS_URL, and a URL that is no Redis URL is refused before anything starts.
	const fromEnvironment = await runCli(['serve', '--port', '0', '--memory', '--no-inspector'], { env: { SOCKETDB_REDIS_URL: `redis://127.0.0.1:${port}` } });
	expect(fromEnvironment.code).toBe(1);
	expect(fromEnvironment.stderr).toMatch(/cannot reach Redis/);
	const wrong = await runCli(['serve', '--port', '0', '--memory', '--no-inspector', '--redis', 'http://127.0.0.1:6379']);
	expect(wrong.code).toBe(1);
	expect(wrong.stderr.trim()).toBe('socketdb: --redis must be a Redis URL such as redis://127.0.0.1:6379, got "http://127.0.0.1:6379"');
});

test('a log entry this version cannot read stops the node with a clear error instead of applying it', async () => {
	const name = cluster();
	const redis = testRedis();
	const node = await startNode(redis.url, name);
	const client = connectClient(node.url);
	await client.get('a').set(1);
	const raw = new Redis(redis.url);
	try {
		await raw.xadd(`socketdb:{${name}}:log`, '0-*', 'v', '99', 't', String(Date.now()), 'e', '{"o":["x",1],"k":"u","d":{"value":{"a":2}}}');
	} finally {
		raw.disconnect();
	}
	expect(await node.exited).toBe(1);
	expect(node.output()).toMatch(/socketdb: log entry \S+ has layout 99; this version reads layouts up to 3: upgrade this server/);
	// A new node refuses to start on that log too, and nothing applied the entry.
	const result = await runCli(['serve', '--port', '0', '--memory', '--no-inspector', '--redis', redis.url, '--cluster', name]);
	expect(result.code).toBe(1);
	expect(result.stderr).toMatch(/has layout 99/);
});

test('a log written by an earlier version (ids by time) is refused at start with a clear error', async () => {
	const name = cluster();
	const redis = testRedis();
	const raw = new Redis(redis.url);
	try {
		await raw.set(`socketdb:{${name}}:revision`, '1');
		await raw.xadd(`socketdb:{${name}}:log`, '*', 'r', '1', 'v', '2', 'e', '{"o":["x",1],"k":"u","d":{"value":{"a":2}}}');
	} finally {
		raw.disconnect();
	}
	const result = await runCli(['serve', '--port', '0', '--memory', '--no-inspector', '--redis', redis.url, '--cluster', name]);
	expect(result.code).toBe(1);
	expect(result.stderr).toMatch(/the cluster's log \(socketdb:\{\S+\}:log\) was written by an earlier version .* start the cluster under another name/);
});

test('Redis restarted without its data (no persistence): the nodes put the log back and lose no acknowledged write', async () => {
	const bare = await startRedis({ appendonly: false });
	try {
		const name = cluster();
		const [a, b] = await Promise.all([startNode(bare.url, name), startNode(bare.url, name)]);
		const onA = connectClient(a!.url);
		const onB = connectClient(b!.url);
		for (let i = 0; i < 10; i++) await onA.get(`before/${i}`).set(i);
		await onB.get('before/b').set('b');
		await bare.restart();
		// Writes on both nodes after the restart, each awaited: all of them and all before are kept, on every node.
		for (let i = 0; i < 5; i++) {
			await onA.get(`after/a${i}`).set(i);
			await onB.get(`after/b${i}`).set(i);
		}
		const expected = { before: { ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i), i])), b: 'b' }, after: { a0: 0, a1: 1, a2: 2, a3: 3, a4: 4, b0: 0, b1: 1, b2: 2, b3: 3, b4: 4 } };
		const late = await startNode(bare.url, name);
		for (const node of [a!, b!, late]) await expect.poll(() => new Promise((resolve) => connectClient(node.url).get('').once(resolve)), { timeout: 10_000 }).toEqual(expected);
	} finally {
		await bare.stop();
	}
});

test('Redis restarted without its data while three nodes take writes: every acknowledged write is kept, and the nodes agree', { timeout: 40_000 }, async () => {
	const bare = await startRedis({ appendonly: false });
	try {
		const name = cluster();
		const nodes = await Promise.all([0, 1, 2].map(() => startNode(bare.url, name)));
		const writers = nodes.map((node) => connectClient(node.url));
		const acknowledged: string[] = [];
		let writing = true;
		const loops = writers.map(async (db, w) => {
			for (let i = 0; writing || i < 5; i++) {
				await db.get(`w${w}/${i}`).set(i);
				acknowledged.push(`w${w}/${i}`);
			}
		});
		await expect.poll(() => acknowledged.length).toBeGreaterThan(30);
		await bare.restart();
		const atRestart = acknowledged.length;
		await expect.poll(() => acknowledged.length, { timeout: 15_000 }).toBeGreaterThan(atRestart + 30);
		writing = false;
		await Promise.all(loops);
		const trees = async () => Promise.all(nodes.map((node) => new Promise<Record<string, Record<string, number>>>((resolve) => connectClient(node.url).get('').once((value) => resolve(value as never)))));
		await expect
			.poll(async () => {
				const all = await trees();
				return all.every((tree) => JSON.stringify(tree) === JSON.stringify(all[0]));
			}, { timeout: 15_000 })
			.toBe(true);
		const [tree] = await trees();
		const missing = acknowledged.filter((path) => {
			const [writer, index] = path.split('/') as [string, string];
			return tree![writer]?.[index] !== Number(index);
		});
		expect(missing).toEqual([]);
	} finally {
		await bare.stop();
	}
});

test('--config sets how much log is kept and how often a snapshot is written; bad settings are refused by name', async () => {
	const name = cluster();
	const redis = testRedis();
	const directory = temporaryDirectory();
	try {
		const config = join(directory.path, 'cluster.json');
		writeFileSync(config, JSON.stringify({ replication: { snapshotEvery: 10, retain: 3, unavailableAfterMs: 2000 } }));
		const node = await startNode(redis.url, name, { args: ['--update-interval', '0', '--config', config] });
		const db = connectClient(node.url);
		for (let i = 0; i < 40; i++) await db.get(`n/${i}`).set(i);
		const raw = new Redis(redis.url);
		try {
			await expect.poll(() => raw.xlen(`socketdb:{${name}}:log`)).toBeLessThanOrEqual(14);
		} finally {
			raw.disconnect();
		}
		for (const [settings, message] of [
			[{ retain: 0 }, '"replication.retain" must be a whole number above 0'],
			[{ keep: 1 }, 'unknown option "replication.keep" (known: unavailableAfterMs, snapshotEvery, retain)'],
			['fast', '"replication" must be an object'],
		] as const) {
			writeFileSync(config, JSON.stringify({ replication: settings }));
			const result = await runCli(['serve', '--memory', '--port', '0', '--redis', redis.url, '--config', config]);
			expect(result.code).toBe(1);
			expect(result.stderr).toContain(message);
		}
	} finally {
		directory.remove();
	}
});
