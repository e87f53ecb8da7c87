import { afterEach, expect, test } from 'vitest';
import { SocketDBClient, createWebsocketClient, type SocketDBClientAPI } from '@socketdb/client';
import { createStore, MessageType, nodeify, unwrap, type Node } from '@socketdb/core';
import type { Client, ServerPlugin } from '@socketdb/server';
import { cleanup, connectClient, record, settle, sleep, startConnectionDropper, startServer, waitFor } from './helpers/server';
import { wireSpy } from './helpers/wire-spy';

const clients: SocketDBClientAPI[] = [];
afterEach(async () => {
	for (const client of clients.splice(0)) client.disconnect();
	await cleanup();
});

/** A client that is not connected yet (disconnected at the end of the test). */
function offlineClient(): SocketDBClientAPI {
	const client = SocketDBClient({ socketClient: createWebsocketClient({ reconnectTimeout: 200 }) });
	clients.push(client);
	return client;
}

async function onlyClient(server: { getClients: () => Client[] }): Promise<Client> {
	await waitFor(() => server.getClients().length === 1, 'the client to connect');
	return server.getClients()[0]!;
}

/** Records the root-anchored diff of every write, in the order the server received them. */
function updateRecorder() {
	const writes: unknown[] = [];
	const plugin: ServerPlugin = {
		name: 'recorder',
		hooks: {
			'server:update': ({ data }) => void writes.push(unwrap(JSON.parse(JSON.stringify(data)) as Node)),
			'server:delete': ({ path }) => void writes.push(`delete ${path}`),
		},
	};
	return { writes, plugin };
}

function deferred() {
	let resolve!: () => void;
	const promise = new Promise<void>((done) => (resolve = done));
	return { promise, resolve };
}

test('awaited writes resolve once applied and reject with the veto reason', async () => {
	const { server, url } = await startServer({
		plugins: [
			{
				name: 'slow-guard',
				hooks: {
					'server:update': async ({ data }) => {
						await sleep(50);
						if ('refused' in (data.value as object)) throw new Error('refused is refused');
					},
				},
			},
		],
	});
	const db = connectClient(url);
	await db.get('a').set({ b: 1 });
	expect(server.get('a/b').value).toBe(1);
	await db.get('a').get('c').set('two', { by: 'me' });
	expect(server.get('a')).toEqual({ value: { b: { value: 1 }, c: { value: 'two', meta: { by: 'me' } } } });
	await db.get('a').get('b').delete();
	expect(server.get('a/b').value).toBe(null);
	await expect(db.get('refused').set(1)).rejects.toMatchObject({ name: 'SocketDBError', code: 'VETOED', message: 'refused is refused' });
	expect(server.get('refused').value).toBe(null);
});

test('writes made before the first connect wait in the outbox and arrive in order once connected', async () => {
	const { writes, plugin } = updateRecorder();
	const { server, url } = await startServer({ plugins: [plugin] });
	const db = offlineClient();
	const pending = [
		db.get('list').get('1').set('one'),
		db.get('counter').set(1),
		db.get('counter').set(2),
		db.get('list').get('2').set('two'),
		db.get('list').get('1').delete(),
		db.get('counter').set(3),
	];
	let settled = 0;
	for (const write of pending) void write.then(() => settled++);
	// Not answered without a server: nothing settles them, not even a turn later.
	await new Promise((turn) => setImmediate(turn));
	expect(settled).toBe(0);
	db.connect(url);
	await Promise.all(pending);
	expect(writes).toEqual([{ list: { 1: 'one' } }, { counter: 1 }, { counter: 2 }, { list: { 2: 'two' } }, 'delete list/1', { counter: 3 }]);
	expect(unwrap(server.get(''))).toEqual({ list: { 2: 'two' }, counter: 3 });
});

test('writes made after the server went away wait and arrive in order once it is back', async () => {
	const store = createStore();
	const first = await startServer({ store });
	const db = connectClient(first.url, { socketClient: createWebsocketClient({ reconnectTimeout: 100 }) });
	const disconnected = { count: 0 };
	db.intercept('client:disconnect', () => void disconnected.count++);
	await db.get('before').set(true);
	await first.close();
	await waitFor(() => disconnected.count === 1, 'the client to notice');

	const pending = [db.get('log').get('1').set('a'), db.get('n').set(1), db.get('log').get('2').set('b'), db.get('n').set(2), db.get('before').delete()];
	let settled = 0;
	for (const write of pending) void write.then(() => settled++);
	// While the client tries to come back to a port where nothing answers, none of them settles.
	const dropper = await startConnectionDropper(first.port);
	await waitFor(() => dropper.attempts() >= 2, 'two tries of the client', 10_000);
	await dropper.close();
	expect(settled).toBe(0);

	const { writes, plugin } = updateRecorder();
	const second = await startServer({ store, plugins: [plugin] }, {}, first.port);
	await Promise.all(pending);
	expect(writes).toEqual([{ log: { 1: 'a' } }, { n: 1 }, { log: { 2: 'b' } }, { n: 2 }, 'delete before']);
	expect(unwrap(second.server.get(''))).toEqual({ log: { 1: 'a', 2: 'b' }, n: 2 });
});

test('after a server restart the client resubscribes: new changes arrive and keys deleted meanwhile disappear', async () => {
	const store = createStore();
	const first = await startServer({ store });
	await first.server.update(nodeify({ items: { a: 1, b: 2, c: 3 }, other: { x: 1, y: 2 } }));
	const reconnects = { count: 0 };
	const db = connectClient(first.url, { socketClient: createWebsocketClient({ reconnectTimeout: 100 }) });
	db.intercept('client:reconnect', () => void reconnects.count++);
	// A value subscription (with an `each` it covers), and an `each` on its own (a keys subscription).
	const items = record<Record<string, number>>(db.get('items'));
	const itemKeys: string[] = [];
	db.get('items').each((_ref, key) => void itemKeys.push(String(key)));
	const otherKeys: string[] = [];
	db.get('other').each((_ref, key) => void otherKeys.push(String(key)));
	const leaf = record(db.get('items').get('b'));
	await waitFor(() => items.last()?.c === 3 && itemKeys.length === 3 && otherKeys.length === 2 && leaf.values.length === 1, 'the initial data');
	expect(itemKeys.sort()).toEqual(['a', 'b', 'c']);
	expect(otherKeys.sort()).toEqual(['x', 'y']);
	expect(leaf.last()).toBe(2);

	await first.close();
	// While the client is away, keys go and come.
	store.del('items/b');
	store.del('other/y');
	store.put(nodeify({ items: { a: 10 }, other: { z: 3 } }) as Node);

	const second = await startServer({ store }, {}, first.port);
	await waitFor(() => reconnects.count === 1, 'client:reconnect');
	await waitFor(() => items.last()?.a === 10, 'the fresh copy');
	expect(items.last()).toEqual(unwrap(second.server.get('items')));
	expect(items.last()).toEqual({ a: 10, c: 3 });
	expect(leaf.last()).toBe(null);
	await waitFor(() => otherKeys.includes('z'), 'the key added meanwhile');
	// Keys that stayed are not announced again after the reconnect.
	expect(itemKeys.filter((key) => key === 'a' || key === 'c').sort()).toEqual(['a', 'c']);
	expect(otherKeys.filter((key) => key === 'x')).toEqual(['x']);

	// Changes made after the restart reach the subscriber.
	const writer = connectClient(second.url);
	await writer.get('items').get('d').set(4);
	await waitFor(() => items.last()?.d === 4, 'the change after the restart');
	expect(items.last()).toEqual(unwrap(second.server.get('items')));
	expect(items.last()).toEqual({ a: 10, c: 3, d: 4 });

	// `each` forgot the deleted keys: re-adding them announces them again.
	await writer.get('items').get('b').set(20);
	await writer.get('other').get('y').set(20);
	await waitFor(() => itemKeys.filter((key) => key === 'b').length === 2, 'items/b announced again');
	await waitFor(() => otherKeys.filter((key) => key === 'y').length === 2, 'other/y announced again');
	expect(itemKeys.filter((key) => key === 'd')).toEqual(['d']);
	await waitFor(() => leaf.last() === 20, 'the leaf subscriber to see the new value');
	expect(items.last()).toEqual({ a: 10, b: 20, c: 3, d: 4 });
});

test('a write in flight when the connection drops is applied exactly once (dropped before it commits)', async () => {
	const gate = deferred();
	let calls = 0;
	let statsAsked = 0;
	const { server, url } = await startServer({
		plugins: [
			{
				name: 'increment',
				hooks: {
					// Asked after the resend on the same connection: once it runs, the server has read the resend.
					'server:subscribeStats': () => void statsAsked++,
					'server:update': async ({ data }, { api }) => {
						if (!('counter' in (data.value as object))) return;
						calls++;
						if (calls === 1) await gate.promise;
						const current = (api.get('counter').value as number | null) ?? 0;
						return { data: nodeify({ counter: current + 1 }) as Node };
					},
				},
			},
		],
	});
	const reconnects = { count: 0 };
	const spy = wireSpy();
	const db = connectClient(url, { socketClient: spy.socketClient });
	db.intercept('client:reconnect', () => void reconnects.count++);
	const client = await onlyClient(server);
	let resolved = false;
	const write = db.get('counter').set(1);
	void write.then(() => (resolved = true));
	await waitFor(() => calls === 1, 'the write to reach the hook');

	client.close();
	await waitFor(() => reconnects.count === 1, 'the client to reconnect');
	// The client resends the write on the new connection; the server has it before the first
	// attempt commits (it answers the resend once that settles).
	await waitFor(() => spy.sent.filter((message) => message.type === MessageType.SET).length === 2, 'the resend');
	const stopStats = db.subscribeStats(() => undefined);
	await waitFor(() => statsAsked === 1, 'the server to read what followed the resend');
	stopStats();
	expect(resolved).toBe(false);
	expect(calls).toBe(1);
	gate.resolve();
	await write;
	// A read the client asks now is answered after the server handled the resent write.
	await settle(db);
	expect(calls).toBe(1);
	expect(server.get('counter').value).toBe(1);

	// The session keeps working: the next increment is applied once too.
	await db.get('counter').set(1);
	expect(calls).toBe(2);
	expect(server.get('counter').value).toBe(2);
});

test('a write in flight when the connection drops is applied exactly once (committed after the drop, answer lost)', async () => {
	let calls = 0;
	const { server, url } = await startServer({
		plugins: [
			{
				name: 'increment',
				hooks: {
					'server:update': ({ data }, { api, client }) => {
						if (!('counter' in (data.value as object))) return;
						calls++;
						// The connection goes away while the write is being applied: its ACK cannot be sent.
						if (calls === 1) client.close?.();
						const current = (api.get('counter').value as number | null) ?? 0;
						return { data: nodeify({ counter: current + 1 }) as Node };
					},
				},
			},
		],
	});
	const updates: unknown[] = [];
	server.intercept('server:change', (change) => void updates.push(change));
	const reconnects = { count: 0 };
	const db = connectClient(url);
	db.intercept('client:reconnect', () => void reconnects.count++);
	await onlyClient(server);
	await db.get('counter').set(1);
	expect(reconnects.count).toBe(1);
	await settle(db);
	expect(calls).toBe(1);
	expect(updates).toHaveLength(1);
	expect(server.get('counter').value).toBe(1);
});

test('a write vetoed while its answer was lost is rejected again after the reconnect, not applied', async () => {
	let calls = 0;
	const { server, url } = await startServer({
		plugins: [
			{
				name: 'veto-and-drop',
				hooks: {
					'server:update': ({ data }, { client }) => {
						if (!('guarded' in (data.value as object))) return;
						calls++;
						client.close?.();
						throw new Error('guarded is read-only');
					},
				},
			},
		],
	});
	const db = connectClient(url);
	await onlyClient(server);
	await expect(db.get('guarded').set(1)).rejects.toMatchObject({ code: 'VETOED', message: 'guarded is read-only' });
	expect(calls).toBe(1);
	expect(server.get('guarded').value).toBe(null);
});
