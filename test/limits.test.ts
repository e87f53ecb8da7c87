import { createWebsocketClient } from '@socketdb/client';
import { MessageType, type GoodbyeMessage } from '@socketdb/core';
import { afterEach, expect, test } from 'vitest';
import { closeRawSockets, handshake, snapshotArrived } from './helpers/raw';
import { cleanup, connectClient, record, startServer, waitFor } from './helpers/server';

afterEach(async () => {
	closeRawSockets();
	await cleanup();
});

test('writes beyond writesPerSecond and writeBurst are refused with RATE_LIMITED; the rest apply', async () => {
	const { url, server } = await startServer({ limits: { writesPerSecond: 1, writeBurst: 5 } });
	const db = connectClient(url);
	const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => db.get('n').get(String(i)).set(i)));
	const refused = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => (outcome as PromiseRejectedResult).reason.code);
	expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(5);
	expect(refused).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
	expect((outcomes[7] as PromiseRejectedResult).reason.message).toBe('writes are limited to 1 per second');
	expect(Object.keys(server.get('n').value as object)).toEqual(['0', '1', '2', '3', '4']);
});

test('values nested deeper than maxDepth are refused with TOO_DEEP', async () => {
	const { url, server } = await startServer({ limits: { maxDepth: 4 } });
	const db = connectClient(url);
	await db.get('ok').set({ a: { b: 1 } });
	await expect(db.get('deep').set({ a: { b: { c: { d: { e: 1 } } } } })).rejects.toMatchObject({ code: 'TOO_DEEP' });
	expect(server.get('deep')).toEqual({ value: null });
});

test('writes holding more than maxKeysPerWrite keys are refused with TOO_MANY_KEYS', async () => {
	const { url, server } = await startServer({ limits: { maxKeysPerWrite: 3 } });
	const db = connectClient(url);
	await db.get('ok').set({ a: 1, b: 2 });
	await expect(db.get('many').set({ a: 1, b: 2, c: 3, d: 4 })).rejects.toMatchObject({ code: 'TOO_MANY_KEYS' });
	await expect(db.get('list').set([1, 2, 3, 4])).rejects.toMatchObject({ code: 'TOO_MANY_KEYS' });
	expect(server.get('many')).toEqual({ value: null });
});

test('paths longer than maxPathLength are refused with INVALID_PATH', async () => {
	const { url } = await startServer({ limits: { maxPathLength: 10 } });
	const db = connectClient(url);
	await db.get('short').set(1);
	await expect(db.get('a-very-long-path').set(1)).rejects.toMatchObject({ code: 'INVALID_PATH' });
});

test('frames larger than maxFrameBytes are refused with PAYLOAD_TOO_LARGE', async () => {
	const { url, server } = await startServer({ limits: { maxFrameBytes: 1024 } });
	const db = connectClient(url);
	await expect(db.get('big').set('x'.repeat(2048))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
	await db.get('small').set('fine');
	expect(server.get('small')).toEqual({ value: 'fine' });
});

test('writes made in one tick that together exceed maxFrameBytes are cut into several frames and all apply', async () => {
	const { url, server } = await startServer({ limits: { maxFrameBytes: 1024 } });
	const db = connectClient(url);
	await Promise.all(Array.from({ length: 20 }, (_, i) => db.get('parts').get(String(i)).set('y'.repeat(200))));
	expect(Object.keys(server.get('parts').value as object)).toHaveLength(20);
});

test('subscriptions beyond maxSubscriptionsPerConnection are refused with TOO_MANY_SUBSCRIPTIONS', async () => {
	const { url } = await startServer({ limits: { maxSubscriptionsPerConnection: 2 } });
	const errors: { code: string }[] = [];
	const db = connectClient(url, { plugins: [{ name: 'errors', hooks: { 'client:error': (error) => void errors.push(error) } }] });
	const a = record(db.get('a'));
	const b = record(db.get('b'));
	db.get('c').on(() => undefined);
	await waitFor(() => errors.length === 1, 'the refusal');
	expect(errors[0]).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
	await waitFor(() => a.values.length === 1 && b.values.length === 1, 'the two allowed subscriptions');
});

test('at maxSubscriptionsPerConnection, unsubscribing (of anything) and subscribing again to a path held are not refused; a new path is, by name', async () => {
	const { url } = await startServer({ limits: { maxSubscriptionsPerConnection: 2 } });
	const raw = await handshake(url);
	raw.send({ type: MessageType.SUBSCRIBE, path: 'a' }, { type: MessageType.SUBSCRIBE_KEYS, path: 'b' });
	await waitFor(() => snapshotArrived(raw, 'a') && raw.messages.some((message) => message.type === MessageType.KEYS_SNAPSHOT), 'the two subscriptions');
	raw.send({ type: MessageType.UNSUBSCRIBE, path: 'never' }, { type: MessageType.UNSUBSCRIBE_KEYS, path: 'nor-this' }, { type: MessageType.SUBSCRIBE_KEYS, path: 'a' }, { type: MessageType.SUBSCRIBE, path: 'b' }, { type: MessageType.SUBSCRIBE, path: 'c' });
	const refusal = await raw.next(MessageType.ERROR, 0);
	expect(refusal).toEqual({ type: MessageType.ERROR, code: 'TOO_MANY_SUBSCRIPTIONS', message: 'a connection may hold at most 2 subscriptions; "c" was not subscribed' });
	await waitFor(() => snapshotArrived(raw, 'b'), 'b');
	expect(raw.messages.filter((message) => message.type === MessageType.ERROR)).toHaveLength(1);
});

test('live queries count toward maxSubscriptionsPerConnection; a refused subscription is reported with its client', async () => {
	const reported: [string | undefined, string | undefined][] = [];
	const { url } = await startServer({ limits: { maxSubscriptionsPerConnection: 2 }, onError: (error, source) => void reported.push([(error as { code?: string }).code, source?.client?.id]) });
	const raw = await handshake(url);
	raw.send({ type: MessageType.QUERY_SUBSCRIBE, id: 1, path: 'scores', query: { orderBy: { child: 'points' }, limitToLast: 2 } }, { type: MessageType.SUBSCRIBE, path: 'a' }, { type: MessageType.SUBSCRIBE, path: 'b' });
	expect(await raw.next(MessageType.ERROR, 0)).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', message: 'a connection may hold at most 2 subscriptions; "b" was not subscribed' });
	const welcome = raw.messages.find((message) => message.type === MessageType.WELCOME)!;
	expect(reported).toEqual([['TOO_MANY_SUBSCRIPTIONS', welcome.id]]);
});

test('connections beyond maxConnections are told goodbye too-many-connections', async () => {
	const { url, server } = await startServer({ limits: { maxConnections: 1 } });
	const first = connectClient(url);
	await first.get('x').set(1);
	const goodbyes: GoodbyeMessage[] = [];
	connectClient(url, {
		socketClient: createWebsocketClient({ reconnectTimeout: 10_000 }),
		plugins: [{ name: 'goodbye', hooks: { 'client:serverDisconnectMessage': (goodbye) => void goodbyes.push(goodbye) } }],
	});
	await waitFor(() => goodbyes.length > 0, 'the goodbye');
	expect(goodbyes[0]).toEqual({ reason: 'too-many-connections', message: 'the server accepts at most 1 connections', retryAfter: 2_000 });
	expect(server.getClients()).toHaveLength(1);
});

test('limits must be positive numbers', async () => {
	await expect(startServer({ limits: { maxDepth: 0 } })).rejects.toThrow('limits.maxDepth must be a positive number');
});

test('a connection that keeps sending bad requests is told goodbye too-many-errors; each one was refused and logged with its client', async () => {
	const { url, server, errors } = await startServer({ limits: { badRequestsPerMinute: 5, maxPathLength: 10 } });
	const goodbyes: GoodbyeMessage[] = [];
	const db = connectClient(url, {
		socketClient: createWebsocketClient({ reconnectTimeout: 10_000 }),
		plugins: [
			{ name: 'goodbye', hooks: { 'client:serverDisconnectMessage': (goodbye) => void goodbyes.push(goodbye), 'client:error': () => undefined } },
		],
	});
	await db.get('fine').set(1);
	const writes = Array.from({ length: 8 }, (_, i) => db.get(`a-path-too-long-${i}`).set(i));
	// The writes after the goodbye wait for the reconnect its retryAfter asks for; not for this test.
	for (const write of writes.slice(5)) write.then(undefined, () => undefined);
	const outcomes = await Promise.allSettled(writes.slice(0, 5));
	expect(outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason?.code)).toEqual(Array(5).fill('INVALID_PATH'));
	await waitFor(() => goodbyes.length > 0, 'the goodbye');
	expect(goodbyes[0]).toMatchObject({ reason: 'too-many-errors', retryAfter: 10_000 });
	expect((goodbyes[0] as { message?: string }).message).toBe("more than 5 bad requests in a minute; the last: INVALID_PATH: path is longer than 10 characters");
	const logged = errors.filter((error) => (error as { code?: string }).code === 'INVALID_PATH');
	expect(logged.length).toBeGreaterThanOrEqual(6);
	expect(server.get('fine')).toEqual({ value: 1 });
});

test('refusals by hooks do not count as bad requests', async () => {
	const { url, server } = await startServer({ limits: { badRequestsPerMinute: 2 } });
	server.intercept('server:update', () => {
		throw new Error('read-only');
	});
	const db = connectClient(url, { plugins: [{ name: 'quiet', hooks: { 'client:error': () => undefined } }] });
	const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => db.get(`n/${i}`).set(i)));
	expect(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason.code === 'VETOED')).toBe(true);
	expect(server.getClients()).toHaveLength(1);
});
