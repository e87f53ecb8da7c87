import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { MessageType, nodeify, unwrap, type ServerMessage } from '@socketdb/core';
import { redisReplication } from '@socketdb/redis';
import { startChaosProxy } from '../helpers/chaos-proxy';
import { freePort, startRedis, type TestRedis } from '../helpers/redis';
import { cleanup, connectClient, record, sameJson, startServer, waitFor, type TestServer } from '../helpers/server';
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
