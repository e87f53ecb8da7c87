import { createStore, increment, nodeify, type NodeDiff } from '@socketdb/core';
import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, connectClient, startServer, waitFor } from './helpers/server';

// What SocketDB's own tests expect of behaviour this project keeps (see docs/migrating-from-socketdb.md).

afterEach(cleanup);

describe("the client's store option", () => {
	test('holds what the subscriptions hold; a deleted ancestor of a subscribed path is gone from it (null), as are the nodes it left empty', async () => {
		const { url, errors } = await startServer();
		const store = createStore();
		const db = connectClient(url, { store });
		const names: unknown[] = [];
		db.get('players').get('1').get('name').on((name) => names.push(name));
		await db.get('players').get('1').set({ name: 'Patrick' });
		await waitFor(() => names.includes('Patrick'), 'the name');
		expect(store.get('players/1')).toEqual(nodeify({ name: 'Patrick' }));
		await db.get('players').get('1').delete();
		await waitFor(() => names.at(-1) === null, 'the deletion');
		expect(store.get('players/1/name')).toBeNull();
		expect(store.get('players/1')).toBeNull();
		expect(store.get('players')).toBeNull();
		expect(store.get()).toEqual({ value: {} });
		expect(errors).toEqual([]);
	});

	test('a deleted subscribed path takes no sibling the store holds', async () => {
		const { url, errors } = await startServer();
		const store = createStore();
		const db = connectClient(url, { store });
		const seen: unknown[] = [];
		db.get('players').get('1').on((value) => seen.push(value));
		db.get('players').get('2').on((value) => seen.push(value));
		await db.get('players').set({ 1: { name: 'A' }, 2: { name: 'B' } });
		await waitFor(() => store.get('players/2') !== null && store.get('players/1') !== null, 'both players');
		await db.get('players').get('1').delete();
		await waitFor(() => seen.at(-1) === null, 'the deletion');
		expect(store.get('players/1')).toBeNull();
		expect(store.get('players')).toEqual(nodeify({ 2: { name: 'B' } }));
		expect(errors).toEqual([]);
	});
});

describe('a set that changes nothing', () => {
	/** A server whose `server:update` hook records the diff of every write it sees, and a client holding `game` up to date. */
	async function watched() {
		const started = await startServer();
		const updates: NodeDiff[] = [];
		started.server.intercept('server:update', ({ data }) => void updates.push(data));
		const db = connectClient(started.url);
		const seen: unknown[] = [];
		db.get('game').on((value) => seen.push(value));
		await db.get('game').set({ title: 'chess', players: { 1: { name: 'Ada', hp: 10 } } }, { owner: 'a' });
		await waitFor(() => seen.length > 0 && seen.at(-1) !== null, 'the game');
		updates.length = 0;
		return { ...started, db, updates, seen };
	}

	/** Writes a marker, awaited: every write made before it has reached the hook (one client's writes keep their order). */
	async function marker(db: ReturnType<typeof connectClient>) {
		await db.get('marker').set(Math.random());
	}

	test('is not sent when the client holds the same value, yet its outcome resolves', async () => {
		const { db, updates, server, errors } = await watched();
		await db.get('game').get('title').set('chess');
		await db.get('game').set({ players: { 1: { name: 'Ada' } } });
		await db.get('game').set({ title: 'chess' }, { owner: 'a' });
		await db.get('game').get('players').get('1').set({});
		await marker(db);
		expect(updates.map((diff) => Object.keys(diff.value as object))).toEqual([['marker']]);
		expect(server.get('game/title')).toEqual({ value: 'chess' });
		expect(errors).toEqual([]);
	});

	test('sends only what changes: leaves, meta, an object replacing a leaf', async () => {
		const { db, updates, server } = await watched();
		await db.get('game').set({ title: 'chess', players: { 1: { name: 'Ada', hp: 7 } } });
		expect(updates.at(-1)).toEqual(nodeify({ game: { players: { 1: { hp: 7 } } } }));
		await db.get('game').set({ title: 'chess' }, { owner: 'b' });
		expect(updates.at(-1)).toEqual({ value: { game: { meta: { owner: 'b' } } } });
		await db.get('game').get('title').set({ long: 'chess', short: 'c' });
		expect(updates.at(-1)).toEqual(nodeify({ game: { title: { long: 'chess', short: 'c' } } }));
		expect(server.get('game')).toEqual({ meta: { owner: 'b' }, ...nodeify({ title: { long: 'chess', short: 'c' }, players: { 1: { name: 'Ada', hp: 7 } } }) });
	});

	test('is sent whole where the client does not hold the value: no subscription, or a path below none', async () => {
		const { db, updates, url } = await watched();
		const other = connectClient(url);
		await other.get('game').get('title').set('chess');
		await db.get('elsewhere').set('x');
		await db.get('elsewhere').set('x');
		expect(updates).toEqual([nodeify({ game: { title: 'chess' } }), nodeify({ elsewhere: 'x' }), nodeify({ elsewhere: 'x' })]);
	});

	test('server values are always sent', async () => {
		const { db, updates, server } = await watched();
		await db.get('game').get('players').get('1').get('hp').set(increment(0));
		await marker(db);
		expect(updates).toHaveLength(2);
		expect(server.get('game/players/1/hp')).toEqual({ value: 10 });
	});

	test('while its own earlier write is unanswered, the client sends the write whole: the earlier one might still be refused', async () => {
		const { db, updates, server } = await watched();
		let refuseNext = true;
		server.intercept('server:update', ({ data }) => {
			if (refuseNext && JSON.stringify(data).includes('"hp"')) {
				refuseNext = false;
				throw new Error('not now');
			}
		});
		const first = db.get('game').get('players').get('1').get('hp').set(3);
		const second = db.get('game').get('players').get('1').get('hp').set(3);
		await expect(first).rejects.toThrow('not now');
		await second;
		expect(server.get('game/players/1/hp')).toEqual({ value: 3 });
		expect(updates).toHaveLength(2);
	});

	test('after a reconnect, nothing is compared until the subscription is up to date again', async () => {
		const { db, updates, url, server } = await watched();
		const other = connectClient(url);
		db.disconnect();
		await other.get('game').get('title').set('go');
		db.connect(url);
		// Sent at once: the client's copy may be stale (it still says chess), so the write goes whole.
		await db.get('game').get('title').set('chess');
		expect(server.get('game/title')).toEqual({ value: 'chess' });
		expect(updates.map((diff) => JSON.stringify(diff))).toEqual([JSON.stringify(nodeify({ game: { title: 'go' } })), JSON.stringify(nodeify({ game: { title: 'chess' } }))]);
	});
});
