import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect, onTestFinished, test } from 'vitest';
import { MessageType, nodeify, PROTOCOL_VERSION, SocketDBError, unwrap, type ClientMessage } from '@socketdb/core';
import { redisReplication, type RedisReplicationOptions } from '@socketdb/redis';
import { createLmdbStore } from '@socketdb/store-lmdb';
import type { SocketDBServerOptions } from '@socketdb/server';
import { increment, serverTimestamp } from '@socketdb/client';
import { closeRawSockets, openRaw } from '../helpers/raw';
import { besidesRedisOutages, redisForTests } from '../helpers/redis';
import { connectClient, startServer } from '../helpers/server';
import { startTcpProxy } from '../helpers/tcp-proxy';

// Processes of one cluster started in this test process, each its own SocketDBServer, for what
// the command line does not show: hooks, stats, snapshot and trimming settings, the wire.

let clusters = 0;
const directories: string[] = [];
const testRedis = redisForTests({}, () => {
	closeRawSockets();
	for (const path of directories.splice(0)) rmSync(path, { recursive: true, force: true });
});

function directory(): string {
	const path = mkdtempSync(join(tmpdir(), 'socketdb-replica-'));
	directories.push(path);
	return path;
}

/** A process on `path` joining cluster `name`, its errors collected (it is expected to fail to start). */
async function startOutsider(path: string, name: string) {
	const errors: { error: Error; fatal: boolean }[] = [];
	const { SocketDBServer } = await import('@socketdb/server');
	const server = SocketDBServer({
		store: createLmdbStore({ path }),
		replication: redisReplication({ url: testRedis().url, name }),
		onError: (error, source) => errors.push({ error, fatal: source.fatal === true }),
	});
	server.listen(0, undefined, '127.0.0.1');
	onTestFinished(() => server.close());
	return errors;
}

function node(name: string, replication: Partial<RedisReplicationOptions> = {}, options: SocketDBServerOptions = {}) {
	return startServer({ replication: redisReplication({ url: testRedis().url, name, ...replication }), ...options });
}

const read = (db: ReturnType<typeof connectClient>, path: string) => new Promise<unknown>((resolve) => db.get(path).once(resolve));

test('a write taken by one process reaches the subscribers of another, with the same revision', async () => {
	const name = `r${++clusters}`;
	const [a, b] = await Promise.all([node(name), node(name)]);
	const writer = connectClient(a.url);
	const reader = connectClient(b.url);
	const seen: unknown[] = [];
	reader.get('chat/1').on((value) => seen.push(value));
	await writer.get('chat/1').set('hello');
	await expect.poll(() => seen.at(-1)).toBe('hello');
	expect(b.server.get('chat/1').value).toBe('hello');
	expect(b.server.stats().revision).toBe(a.server.stats().revision);
	await b.server.update(nodeify({ chat: { 2: 'from b' } }));
	await expect.poll(() => a.server.get('chat/2').value).toBe('from b');
	expect(a.errors).toEqual([]);
	expect(b.errors).toEqual([]);
});

test('stats count the connections of every process of the cluster', async () => {
	const name = `r${++clusters}`;
	const [a, b] = await Promise.all([node(name), node(name)]);
	connectClient(a.url);
	for (let i = 0; i < 3; i++) connectClient(b.url);
	await expect.poll(() => a.server.stats().total, { timeout: 5_000 }).toBe(4);
	await expect.poll(() => b.server.stats().total, { timeout: 5_000 }).toBe(4);
	await b.close();
	await expect.poll(() => a.server.stats().total, { timeout: 8_000 }).toBe(1);
});

test('a burst of connections costs the cluster a few publications of the counts, not one each', async () => {
	const name = `r${++clusters}`;
	// updateInterval 0: every change of the counts is handed on at once.
	const [a, b] = await Promise.all([node(name, {}, { updateInterval: 0 }), node(name)]);
	const raw = new Redis(testRedis().url);
	const publications = async () => Number(/cmdstat_publish:calls=(\d+)/.exec(await raw.info('commandstats'))?.[1] ?? 0);
	try {
		const before = await publications();
		for (let i = 0; i < 30; i++) connectClient(a.url);
		await expect.poll(() => b.server.stats().total, { timeout: 5_000 }).toBe(30);
		// Each change waits for the one before to be 250 ms old; the 5-second renewals may add one per process.
		expect((await publications()) - before).toBeLessThanOrEqual(8);
	} finally {
		raw.disconnect();
	}
});

test('a refusal is decided once for the cluster: the same write resent to another process gets the same answer', async () => {
	const name = `r${++clusters}`;
	const [a, b] = await Promise.all([node(name), node(name)]);
	a.server.intercept('server:update', ({ data }) => {
		if (JSON.stringify(data).includes('forbidden')) throw new SocketDBError('FORBIDDEN', 'not here');
	});
	const session = `raw-${Math.random()}`;
	const hello: ClientMessage = { type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session, acked: 0, info: {} };
	const onA = await openRaw(a.url);
	onA.send(hello);
	onA.send({ type: MessageType.SET, seq: 1, path: 'x', node: nodeify('forbidden') }, { type: MessageType.SET, seq: 2, path: 'y', node: nodeify('fine') });
	expect(await onA.answer(1)).toMatchObject({ type: MessageType.REJECT, code: 'FORBIDDEN' });
	expect(await onA.answer(2)).toMatchObject({ type: MessageType.ACK });
	// B has no such hook, and never saw this session: the log tells it how both writes ended.
	await expect.poll(() => b.server.get('y').value).toBe('fine');
	const onB = await openRaw(b.url);
	onB.send(hello);
	onB.send({ type: MessageType.SET, seq: 1, path: 'x', node: nodeify('forbidden') }, { type: MessageType.SET, seq: 2, path: 'y', node: nodeify('fine') });
	expect(await onB.answer(1)).toMatchObject({ type: MessageType.REJECT, code: 'FORBIDDEN', message: 'not here' });
	expect(await onB.answer(2)).toMatchObject({ type: MessageType.ACK });
	expect(b.server.get('x').value).toBeNull();
	// Neither resent write is logged again: the next write takes the next revision.
	const revision = b.server.stats().revision;
	onB.send({ type: MessageType.SET, seq: 3, path: 'z', node: nodeify('marker') });
	expect(await onB.answer(3)).toMatchObject({ type: MessageType.ACK });
	expect(b.server.stats().revision).toBe(revision + 1);
});

test('the log is trimmed behind a snapshot; a new process, and one far behind, start from the snapshot', async () => {
	const name = `r${++clusters}`;
	const settings = { snapshotEvery: 20, retain: 5 };
	const path = directory();
	const a = await node(name, settings);
	let behind = await node(name, settings, { store: createLmdbStore({ path }) });
	const writer = connectClient(a.url);
	// An object left empty by deleting its last child is part of the snapshot too.
	await writer.get('emptied/x').set(1);
	await writer.get('emptied/x').delete();
	for (let i = 0; i < 30; i++) await writer.get(`items/${i}`).set(i);
	await expect.poll(() => behind.server.get('items/29').value).toBe(29);
	await behind.close();
	for (let i = 30; i < 100; i++) await writer.get(`items/${i}`).set(i);
	await writer.get('items/0').delete();
	const raw = new Redis(testRedis().url);
	try {
		await expect.poll(() => raw.xlen(`socketdb:{${name}}:log`)).toBeLessThan(40);
	} finally {
		raw.disconnect();
	}
	const expected = Object.fromEntries(Array.from({ length: 99 }, (_, i) => [String(i + 1), i + 1]));
	const fresh = await node(name, settings);
	expect(await read(connectClient(fresh.url), '')).toEqual({ items: expected, emptied: {} });
	behind = await node(name, settings, { store: createLmdbStore({ path }) });
	expect(await read(connectClient(behind.url), '')).toEqual({ items: expected, emptied: {} });
	expect(behind.server.stats().revision).toBe(a.server.stats().revision);
	expect([...a.errors, ...fresh.errors, ...behind.errors]).toEqual([]);
});

test('a store holding another database cannot join: the start fails with a clear error', async () => {
	const path = directory();
	const alone = await startServer({ store: createLmdbStore({ path }) });
	await alone.server.update(nodeify({ mine: true }));
	await alone.close();
	const name = `r${++clusters}`;
	const member = await node(name);
	await member.server.update(nodeify({ theirs: true }));
	const errors = await startOutsider(path, name);
	await expect.poll(() => errors.length).toBe(1);
	expect(errors[0]!.fatal).toBe(true);
	// Closed cleanly, the server on its own left its database's id with its data.
	expect(errors[0]!.error.message).toMatch(/^the store holds data of another database \([0-9a-f-]+\); cluster "r\d+" is database [0-9a-f-]+: start this process on an empty store$/);
});

test('writes that cannot be logged in time are answered UNAVAILABLE; the client keeps them, reports it once, and they land once Redis is back', { timeout: 20_000 }, async () => {
	const name = `r${++clusters}`;
	const toRedis = await startTcpProxy(() => [testRedis().port]);
	const a = await startServer({ replication: redisReplication({ url: `redis://127.0.0.1:${toRedis.port}`, name, unavailableAfterMs: 300 }) });
	const b = await node(name);
	const db = connectClient(a.url);
	const errors: string[] = [];
	db.intercept('client:error', ({ code }) => void errors.push(code));
	await db.get('before').set(1);
	toRedis.cut();
	const outcomes: string[] = [];
	const writes = [1, 2, 3].map((i) => Promise.resolve(db.get(`during/${i}`).set(i)).then(() => outcomes.push(`ok ${i}`), (error: Error) => outcomes.push(error.message)));
	await expect.poll(() => errors, { timeout: 5_000 }).toEqual(['UNAVAILABLE']);
	// Reads are served from the last state meanwhile.
	expect(await read(db, 'before')).toBe(1);
	await new Promise((resume) => setTimeout(resume, 1_500));
	expect(outcomes).toEqual([]);
	toRedis.heal();
	await Promise.all(writes);
	expect(outcomes).toEqual(['ok 1', 'ok 2', 'ok 3']);
	expect(errors).toEqual(['UNAVAILABLE']);
	await expect.poll(() => unwrap(b.server.get('during'))).toEqual({ 1: 1, 2: 2, 3: 3 });
	expect(besidesRedisOutages(a.errors)).toEqual([]);
});

test('a store with data but no revision (filled by an import) seeds a new cluster, and cannot join an existing one', async () => {
	const seeded = directory();
	const other = directory();
	for (const path of [seeded, other]) {
		const store = createLmdbStore({ path });
		store.put(nodeify({ imported: { from: path === seeded ? 'seed' : 'other' } }));
		await store.close?.();
	}
	const name = `r${++clusters}`;
	const first = await node(name, {}, { store: createLmdbStore({ path: seeded }) });
	expect(first.server.stats().revision).toBe(1);
	const fresh = await node(name);
	expect(await read(connectClient(fresh.url), 'imported')).toEqual({ from: 'seed' });
	const errors = await startOutsider(other, name);
	await expect.poll(() => errors.map(({ error }) => error.message)).toEqual([expect.stringMatching(/the store holds data of a server that was not part of this cluster/)]);
});

test('a store with data and a revision but no database id (a server on its own that crashed) seeds a new cluster', async () => {
	const path = directory();
	const store = createLmdbStore({ path });
	store.put(nodeify({ kept: 'before the crash' }));
	store.setPosition?.({ revision: 3 });
	await store.close?.();
	const name = `r${++clusters}`;
	const first = await node(name, {}, { store: createLmdbStore({ path }) });
	expect(first.server.stats().revision).toBe(3);
	const fresh = await node(name);
	expect(await read(connectClient(fresh.url), 'kept')).toBe('before the crash');
	expect(first.errors).toEqual([]);
});

test("a client's writes keep their order across UNAVAILABLE: a later write is not logged before an earlier one is sent again", { timeout: 20_000 }, async () => {
	const name = `r${++clusters}`;
	const toRedis = await startTcpProxy(() => [testRedis().port]);
	const a = await startServer({ replication: redisReplication({ url: `redis://127.0.0.1:${toRedis.port}`, name, unavailableAfterMs: 300 }) });
	const b = await node(name);
	const db = connectClient(a.url);
	const seen: unknown[] = [];
	connectClient(b.url)
		.get('order')
		.on((value) => seen.push(value));
	await db.get('order').set(0);
	toRedis.cut();
	// Redis comes back the moment the first write is refused, while the second waits behind it on the server.
	db.intercept('client:error', ({ code }) => {
		if (code === 'UNAVAILABLE') toRedis.heal();
	});
	await Promise.all([db.get('order').set(1), db.get('order').set(2)]);
	await expect.poll(() => seen.at(-1)).toBe(2);
	expect(seen.filter((value) => value !== null)).toEqual([0, 1, 2]);
	expect(besidesRedisOutages(a.errors)).toEqual([]);
});

test("one client's writes share appends to the log, keep their order, and the client reads its own writes", async () => {
	const name = `r${++clusters}`;
	const [a, b] = await Promise.all([node(name), node(name)]);
	const db = connectClient(a.url);
	const seen: number[] = [];
	connectClient(b.url)
		.get('last')
		.on((value) => typeof value === 'number' && seen.push(value));
	await db.get('warm').set(true);
	const raw = new Redis(testRedis().url);
	const appends = async () => Number(/cmdstat_publish:calls=(\d+)/.exec(await raw.info('commandstats'))?.[1] ?? 0);
	try {
		const before = await appends();
		const writes: Promise<unknown>[] = [];
		for (let i = 1; i <= 300; i++) writes.push(Promise.resolve(db.get('last').set(i)));
		// Queued behind those writes: sees the last of them.
		expect(await read(db, 'last')).toBe(300);
		await Promise.all(writes);
		expect(await appends()).toBeLessThan(before + 100);
	} finally {
		raw.disconnect();
	}
	await expect.poll(() => seen.at(-1)).toBe(300);
	expect(seen).toEqual([...seen].sort((x, y) => x - y));
});

test('a write costs Redis two commands, an XADD that numbers it and a PUBLISH, whatever the number of processes', async () => {
	const name = `r${++clusters}`;
	const [a] = await Promise.all([node(name), node(name), node(name)]);
	const db = connectClient(a.url);
	await db.get('warm').set(true);
	const raw = new Redis(testRedis().url);
	const calls = async () => {
		const info = await raw.info('commandstats');
		const count = (command: string) => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
		return { xadd: count('xadd'), publish: count('publish'), total: Number(/total_commands_processed:(\d+)/.exec(await raw.info('stats'))?.[1]) };
	};
	try {
		const before = await calls();
		for (let i = 0; i < 50; i++) await db.get('n').set(i);
		const after = await calls();
		expect(after.xadd - before.xadd).toBe(50);
		// One publication a write; a process's connection counts may add one.
		expect(after.publish - before.publish).toBeGreaterThanOrEqual(50);
		expect(after.publish - before.publish).toBeLessThanOrEqual(53);
		// Besides: this test's own INFO commands, and a read of the stream should a quiet spell fall in.
		expect(after.total - before.total).toBeLessThanOrEqual(2 * 50 + 8);
	} finally {
		raw.disconnect();
	}
	expect(a.server.stats().revision).toBeGreaterThan(50);
});

test('an update of several paths is one entry of the log: every process applies all of it with one revision, or none of it when refused', async () => {
	const name = `r${++clusters}`;
	const guard = { name: 'guard', hooks: { 'server:delete': ({ path }: { path: string }) => { if (path === 'doc/locked') throw new SocketDBError('FORBIDDEN', 'locked stays'); } } };
	const [a, b] = await Promise.all([node(name, {}, { plugins: [guard] }), node(name, {}, { plugins: [guard] })]);
	await a.server.update(nodeify({ doc: { title: 'old', locked: 1, draft: 'x' } }));
	const reader = connectClient(b.url);
	const seen: unknown[] = [];
	reader.get('doc').on((value) => seen.push(value));
	await expect.poll(() => seen.at(-1)).toEqual({ title: 'old', locked: 1, draft: 'x' });
	const before = b.server.stats().revision;

	const writer = connectClient(a.url);
	await writer.get('doc').update({ title: 'new', draft: null, 'tags/a': true });
	await expect.poll(() => seen.at(-1)).toEqual({ title: 'new', locked: 1, tags: { a: true } });
	expect(seen).toHaveLength(2);
	expect(b.server.stats().revision).toBe(before + 1);
	expect(a.server.stats().revision).toBe(before + 1);

	await expect(writer.get('doc').update({ title: 'newer', locked: null })).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'locked stays' });
	await writer.get('marker').set(1);
	await expect.poll(() => b.server.get('marker').value).toBe(1);
	expect(unwrap(b.server.get('doc'))).toEqual({ title: 'new', locked: 1, tags: { a: true } });
	expect(unwrap(a.server.get('doc'))).toEqual({ title: 'new', locked: 1, tags: { a: true } });
});

test('increments taken by different processes all count (filled in when applied, in log order); a timestamp is the same on every process', async () => {
	const name = `r${++clusters}`;
	const [a, b] = await Promise.all([node(name), node(name)]);
	const writers = [a, b, a, b].map((process) => connectClient(process.url));
	await Promise.all(
		writers.map(async (db) => {
			for (let i = 0; i < 25; i++) await db.get('counter').set(increment(1));
		}),
	);
	await expect.poll(() => b.server.get('counter').value).toBe(100);
	expect(a.server.get('counter').value).toBe(100);

	await writers[0]!.update({ 'stamp/at': serverTimestamp(), 'stamp/n': increment(2) });
	await expect.poll(() => b.server.get('stamp/n').value).toBe(2);
	expect(typeof a.server.get('stamp/at').value).toBe('number');
	expect(b.server.get('stamp/at').value).toBe(a.server.get('stamp/at').value);
});

test('transactions taken by different processes: the compare happens when the entry is applied, in log order, so none is lost', async () => {
	const name = `r${++clusters}`;
	const [a, b] = await Promise.all([node(name), node(name)]);
	// Ten clients, five on each process, each adding 1 twenty times, with the default retries.
	const clients = Array.from({ length: 10 }, (_, i) => connectClient([a, b][i % 2]!.url));
	await Promise.all(
		clients.map(async (db) => {
			for (let i = 0; i < 20; i++) {
				const result = await db.get('counter').transaction((n: number | null) => (n ?? 0) + 1);
				expect(result.committed).toBe(true);
			}
		}),
	);
	await expect.poll(() => b.server.get('counter').value).toBe(200);
	expect(a.server.get('counter').value).toBe(200);
	expect(b.server.stats().revision).toBe(a.server.stats().revision);
});

test("an onDisconnect write is applied by the process that held the connection, through the log: another process's subscribers see it", async () => {
	const name = `r${++clusters}`;
	const [a, b] = await Promise.all([node(name), node(name)]);
	const toA = await startTcpProxy(() => [a.port]);
	const db = connectClient(`ws://127.0.0.1:${toA.port}`);
	const seen: unknown[] = [];
	connectClient(b.url)
		.get('status/ada')
		.on((value) => seen.push(value));
	await db.get('status/ada').set('online');
	await db.get('status/ada').onDisconnect().set('offline');
	await expect.poll(() => seen.at(-1)).toBe('online');
	const revision = a.server.stats().revision;

	toA.reset();
	await expect.poll(() => seen.at(-1)).toBe('offline');
	expect(b.server.stats().revision).toBe(revision + 1);
	expect(a.server.get('status/ada').value).toBe('offline');
	expect([...a.errors, ...b.errors]).toEqual([]);
});

test('a subscription between two writes of one frame waits only for the writes before it', async () => {
	const name = `r${++clusters}`;
	const a = await node(name);
	const raw = await openRaw(a.url);
	raw.send({ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session: `raw-${Math.random()}`, acked: 0, info: {} });
	raw.send(
		{ type: MessageType.SET, seq: 1, path: 'x', node: nodeify('first') },
		{ type: MessageType.SUBSCRIBE, path: 'x' },
		{ type: MessageType.SET, seq: 2, path: 'x', node: nodeify('second') },
	);
	expect(await raw.answer(1)).toMatchObject({ type: MessageType.ACK });
	expect(await raw.answer(2)).toMatchObject({ type: MessageType.ACK });
	// The subscription's value holds the write before it.
	expect(await raw.next(MessageType.SNAPSHOT, 0)).toMatchObject({ path: 'x', node: { value: 'first' } });
});
