import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { MessageType, nodeify, unwrap, type ServerMessage } from '@socketdb/core';
import { redisReplication } from '@socketdb/redis';
import { startChaosProxy } from '../helpers/chaos-proxy';
import { besidesRedisOutages, freePort, startRedis, type TestRedis } from '../helpers/redis';
import { cleanup, connectClient, record, sameJson, startServer, waitFor, type TestServer } from '../helpers/server';
import { startTcpProxy } from '../helpers/tcp-proxy';
import { wireSpy } from '../helpers/wire-spy';

let redis: TestRedis;

beforeAll(async () => {
	redis = await startRedis();
});
afterAll(async () => {
	await redis.stop();
});
afterEach(cleanup);

const answers = (received: ServerMessage[], from: number) =>
	received.slice(from).flatMap((message) => (message.type === MessageType.DELTA ? ['delta'] : message.type === MessageType.SNAPSHOT ? ['snapshot'] : []));

test('a client resumes on whichever process it comes back to: one database id, one sequence of revisions, each history holding what its process applied', async () => {
	const [a, b] = (await Promise.all([0, 1].map(() => startServer({ replication: redisReplication({ url: redis.url, name: 'delta' }) })))) as [TestServer, TestServer];
	// One process refuses writes to `locked`: the refusal takes a revision of the log, which changes nothing anywhere.
	b.server.intercept('server:update', ({ data }) => {
		if (JSON.stringify(data).includes('"locked"')) throw new Error('locked');
	});
	const items = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`item${i}`, { name: `item ${i}`, done: false }]));
	await a.server.update(nodeify({ list: items }));

	// The client reaches the processes through a proxy whose target the test moves.
	const target = { port: a.port };
	const proxy = await startChaosProxy(target);
	const spy = wireSpy();
	const db = connectClient(proxy.url, { socketClient: spy.socketClient, plugins: [{ name: 'quiet', hooks: { 'client:error': () => undefined } }] });
	const list = record<Record<string, unknown>>(db.get('list'));
	const truth = () => unwrap(a.server.get('list'));
	await waitFor(() => sameJson(list.last(), truth()), 'the first value');
	const writer = connectClient(b.url, { plugins: [{ name: 'quiet', hooks: { 'client:error': () => undefined } }] });
	const idle = await freePort();

	for (const [round, next] of [b, a, b].entries()) {
		// Away: nothing answers behind the proxy, while changes go through B.
		target.port = idle;
		proxy.reset();
		const from = spy.received.length;
		await writer.get(`list/item${round}/done`).set(true);
		await writer.get(`list/item${round + 10}`).delete();
		await expect(writer.get('locked').set(round)).rejects.toMatchObject({ code: 'VETOED' });
		await writer.get(`list/new${round}`).set({ name: `new ${round}` });
		await waitFor(() => a.server.stats().revision === b.server.stats().revision, `round ${round}: A to apply the log`);

		target.port = next.port;
		await waitFor(() => sameJson(list.last(), truth()), `round ${round}: the client to catch up`);
		expect(answers(spy.received, from), `round ${round}`).toEqual(['delta']);
		await waitFor(() => next.server.getClients().length === (next === b ? 2 : 1), `round ${round}: the client on the process it came back to`);
	}
	const databases = new Set(spy.received.flatMap((message) => (message.type === MessageType.WELCOME ? [message.db] : [])));
	expect(databases.size).toBe(1);
	expect([...databases][0]).toEqual(expect.any(String));
	expect(a.server.get('locked').value).toBeNull();
	await proxy.close();
});

test('a client back on a process that is behind the revision it holds waits for that process to catch up: its values never go back', async () => {
	const toRedis = await startTcpProxy(() => [redis.port]);
	const a = await startServer({ replication: redisReplication({ url: redis.url, name: 'behind' }) });
	const b = await startServer({ replication: redisReplication({ url: `redis://127.0.0.1:${toRedis.port}`, name: 'behind' }) });
	const target = { port: a.port };
	const proxy = await startChaosProxy(target);
	const spy = wireSpy();
	const db = connectClient(proxy.url, { socketClient: spy.socketClient });
	const seen: unknown[] = [];
	db.get('count').on((value) => seen.push(value));
	const writer = connectClient(a.url);
	await writer.get('count').set(0);
	await waitFor(() => seen.at(-1) === 0 && b.server.stats().revision === a.server.stats().revision, 'both processes at the first write');
	// B is cut off from Redis, so it stays behind while A takes five more writes.
	toRedis.cut();
	for (let i = 1; i <= 5; i++) await writer.get('count').set(i);
	await waitFor(() => seen.at(-1) === 5, 'the client to see the last write');
	const from = spy.received.length;
	target.port = b.port;
	proxy.reset();
	// The client resubscribes on B holding a revision B has not reached; B catches up a moment later.
	await waitFor(() => b.server.getClients().length === 1, 'the client on B');
	setTimeout(() => toRedis.heal(), 200);
	await waitFor(() => answers(spy.received, from).length === 1, 'the answer to the resubscription');
	expect(answers(spy.received, from)).toEqual(['delta']);
	expect(seen.filter((value) => typeof value === 'number')).toEqual([0, 1, 2, 3, 4, 5]);
	expect(besidesRedisOutages(b.errors)).toEqual([]);
	await proxy.close();
	await toRedis.close();
});
