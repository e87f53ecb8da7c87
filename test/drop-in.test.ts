import { createStore, nodeify } from '@socketdb/core';
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
