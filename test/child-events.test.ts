import { afterEach, describe, expect, test } from 'vitest';
import { nodeify } from '@socketdb/core';
import type { ChildEvent } from '@socketdb/client';
import { cleanup, connectClient, startServer, waitFor } from './helpers/server';

afterEach(cleanup);

type Heard = [ChildEvent, string, unknown, string | null];

/** Listens to every child event of `target` (a reference or a query) into one list, in the order heard. */
function listen(target: { onChild: (event: ChildEvent, cb: (entry: { key: string; value: unknown }, previousKey: string | null) => void) => () => void }): Heard[] {
	const heard: Heard[] = [];
	// Registered in an order other than the events', to show that the order is the events' own.
	for (const event of ['changed', 'moved', 'added', 'removed'] as const) target.onChild(event, (entry, previousKey) => heard.push([event, entry.key, entry.value, previousKey]));
	return heard;
}

describe('child events', () => {
	test('a reference orders by key: added for every child at first, then added, changed and removed with previous keys', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ list: { b: 2, '10': 'ten', a: 1, '9': 'nine' } }));
		const db = connectClient(url);
		const heard = listen(db.get('list'));
		await waitFor(() => heard.length === 4, 'the first children');
		expect(heard.splice(0)).toEqual([
			['added', '9', 'nine', null],
			['added', '10', 'ten', '9'],
			['added', 'a', 1, '10'],
			['added', 'b', 2, 'a'],
		]);
		await db.get('list/ab').set(3);
		await waitFor(() => heard.length === 1, 'added');
		expect(heard.splice(0)).toEqual([['added', 'ab', 3, 'a']]);
		await db.get('list/a').set(5);
		await waitFor(() => heard.length === 1, 'changed');
		expect(heard.splice(0)).toEqual([['changed', 'a', 5, '10']]);
		await db.get('list/10').delete();
		await waitFor(() => heard.length === 1, 'removed');
		expect(heard.splice(0)).toEqual([['removed', '10', 'ten', '9']]);
	});

	test('a query: moved when a change of the sorted value moves a child, with changed after it', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ s: { a: { p: 1 }, b: { p: 2 }, c: { p: 3 } } }));
		const db = connectClient(url);
		const heard = listen(db.get('s').orderByChild('p'));
		await waitFor(() => heard.length === 3, 'the first children');
		heard.splice(0);
		await db.get('s/a/p').set(5);
		await waitFor(() => heard.length === 2, 'moved and changed');
		expect(heard.splice(0)).toEqual([
			['moved', 'a', { p: 5 }, 'c'],
			['changed', 'a', { p: 5 }, 'c'],
		]);
		// A change of the sorted value that keeps the place: changed only.
		await db.get('s/a/p').set(6);
		await waitFor(() => heard.length === 1, 'changed');
		expect(heard.splice(0)).toEqual([['changed', 'a', { p: 6 }, 'c']]);
	});

	test('a limited window: the child that leaves is removed and the one that enters added, in that order within one change', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ s: { a: { p: 1 }, b: { p: 2 }, c: { p: 3 }, d: { p: 4 } } }));
		const db = connectClient(url);
		const heard = listen(db.get('s').orderByChild('p').limitToFirst(2));
		await waitFor(() => heard.length === 2, 'the first children');
		expect(heard.splice(0)).toEqual([
			['added', 'a', { p: 1 }, null],
			['added', 'b', { p: 2 }, 'a'],
		]);
		// d jumps to the front: it enters, b leaves.
		await db.get('s/d/p').set(0);
		await waitFor(() => heard.length === 2, 'removed and added');
		expect(heard.splice(0)).toEqual([
			['removed', 'b', { p: 2 }, 'a'],
			['added', 'd', { p: 0 }, null],
		]);
		// a leaves by deletion; b comes back in.
		await db.get('s/a').delete();
		await waitFor(() => heard.length === 2, 'removed and added again');
		expect(heard.splice(0)).toEqual([
			['removed', 'a', { p: 1 }, 'd'],
			['added', 'b', { p: 2 }, 'd'],
		]);
		// One write that moves a child inside the window and changes another.
		await db.get('s').update({ 'd/p': 2.5, 'b/note': 'x' });
		await waitFor(() => heard.length === 3, 'moved and changed together');
		expect(heard.splice(0)).toEqual([
			['moved', 'd', { p: 2.5 }, 'b'],
			['changed', 'b', { p: 2, note: 'x' }, null],
			['changed', 'd', { p: 2.5 }, 'b'],
		]);
	});

	test('a listener added to a query already loaded is told added for every child, in order', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ s: { x: 2, y: 1 } }));
		const db = connectClient(url);
		const query = db.get('s').orderByValue();
		const first: string[] = [];
		query.onChild('added', (entry) => first.push(entry.key));
		await waitFor(() => first.length === 2, 'the first listener');
		const second: [string, string | null][] = [];
		query.onChild('added', (entry, previousKey) => second.push([entry.key, previousKey]));
		await waitFor(() => second.length === 2, 'the second listener');
		expect(second).toEqual([
			['y', null],
			['x', 'y'],
		]);
	});
});
