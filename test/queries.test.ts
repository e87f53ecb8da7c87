import { afterEach, describe, expect, test } from 'vitest';
import { nodeify } from '@socketdb/core';
import type { QueryEntry } from '@socketdb/client';
import { startChaosProxy, type ChaosProxy } from './helpers/chaos-proxy';
import { cleanup, connectClient, startServer, waitFor } from './helpers/server';
import { expectInvalidQuery as expectInvalid } from './helpers/invalid-query';

const proxies: ChaosProxy[] = [];
afterEach(async () => {
	await cleanup();
	for (const proxy of proxies.splice(0)) await proxy.close();
});

/** Every result a query's `on` delivers, as [key, value] pairs. */
function results(query: { on: (cb: (entries: QueryEntry[]) => void) => () => void }) {
	const calls: [string, unknown][][] = [];
	const stop = query.on((entries) => calls.push(entries.map((entry) => [entry.key, entry.value])));
	return { calls, stop, last: () => calls.at(-1), keys: () => calls.at(-1)?.map(([key]) => key) };
}


const mixed = {
	absent: { other: 1 },
	nul: { v: null },
	no: { v: false },
	yes: { v: true },
	neg: { v: -2 },
	one: { v: 1 },
	ten: { v: 10 },
	tenToo: { v: 10 },
	empty: { v: '' },
	upper: { v: 'B' },
	lower: { v: 'a' },
	obj: { v: { deep: 1 } },
};

describe('queries', () => {
	test('order by child for mixed types: absent and null first, false, true, numbers, strings by code unit, objects; ties by key', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ things: mixed }));
		const db = connectClient(url);
		const all = results(db.get('things').orderByChild('v'));
		await waitFor(() => all.calls.length === 1, 'the result');
		// `nul` holds a null value, which is no value: like `absent`, it sorts first, by key.
		expect(all.keys()).toEqual(['absent', 'nul', 'no', 'yes', 'neg', 'one', 'ten', 'tenToo', 'empty', 'upper', 'lower', 'obj']);
	});

	test('order by key: 32-bit integer keys first, numerically, then the rest as strings; order by value', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ byKey: { b: 1, '10': 2, '9': 3, a: 4, '-1': 5, '2147483648': 6, '007': 7 }, byValue: { x: 3, y: 'a', z: 1, w: true } }));
		const db = connectClient(url);
		const keys = results(db.get('byKey').orderByKey());
		const values = results(db.get('byValue').orderByValue());
		await waitFor(() => keys.calls.length === 1 && values.calls.length === 1, 'the results');
		expect(keys.keys()).toEqual(['-1', '9', '10', '007', '2147483648', 'a', 'b']);
		expect(values.last()).toEqual([['w', true], ['z', 1], ['x', 3], ['y', 'a']]);
	});

	test('every range operator, with and without a key', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ s: { a: { p: 1 }, b: { p: 2 }, c: { p: 2 }, d: { p: 2 }, e: { p: 3 } } }));
		const db = connectClient(url);
		const byP = () => db.get('s').orderByChild('p');
		const cases: [ReturnType<typeof results>, string[]][] = [
			[results(byP().startAt(2)), ['b', 'c', 'd', 'e']],
			[results(byP().startAt(2, 'c')), ['c', 'd', 'e']],
			[results(byP().startAfter(2)), ['e']],
			[results(byP().startAfter(2, 'c')), ['d', 'e']],
			[results(byP().endAt(2)), ['a', 'b', 'c', 'd']],
			[results(byP().endAt(2, 'c')), ['a', 'b', 'c']],
			[results(byP().endBefore(2)), ['a']],
			[results(byP().endBefore(2, 'c')), ['a', 'b']],
			[results(byP().equalTo(2)), ['b', 'c', 'd']],
			[results(byP().equalTo(2, 'd')), ['d']],
			[results(byP().startAt(2).endAt(2, 'c')), ['b', 'c']],
			[results(byP().startAt(1).limitToFirst(2)), ['a', 'b']],
			[results(byP().endAt(2).limitToLast(2)), ['c', 'd']],
			[results(db.get('s').orderByKey().startAt('b').endBefore('e')), ['b', 'c', 'd']],
			[results(db.get('s').orderByKey().startAfter('b').endAt('d')), ['c', 'd']],
			[results(db.get('s').orderByKey().equalTo('c')), ['c']],
		];
		await waitFor(() => cases.every(([recorded]) => recorded.calls.length === 1), 'every result');
		for (const [recorded, expected] of cases) expect(recorded.keys()).toEqual(expected);
	});

	test('invalid combinations throw INVALID_QUERY at once', () => {
		const db = connectClient('ws://127.0.0.1:9');
		const scores = db.get('scores');
		expectInvalid(() => scores.orderByChild('p').orderByKey());
		expectInvalid(() => scores.orderByKey().orderByValue());
		expectInvalid(() => scores.orderByValue().limitToFirst(1).limitToLast(1));
		expectInvalid(() => scores.orderByKey().startAt(1 as never));
		expectInvalid(() => scores.orderByKey().endAt('a', 'b'));
		expectInvalid(() => scores.orderByChild('p').equalTo(1).startAt(0));
		expectInvalid(() => scores.orderByChild('p').limitToFirst(0));
		expectInvalid(() => scores.orderByChild(''));
		expectInvalid(() => scores.orderByChild('p').onChild('updated' as never, () => undefined));
	});

	test('windows follow updates, deletes and re-adds; children outside never arrive', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ s: { a: { p: 1 }, b: { p: 5 }, c: { p: 9 } } }));
		const db = connectClient(url);
		const top = results(db.get('s').orderByChild('p').limitToLast(2));
		await waitFor(() => top.calls.length === 1, 'the result');
		expect(top.last()).toEqual([['b', { p: 5 }], ['c', { p: 9 }]]);

		await db.get('s/a/p').set(7);
		await waitFor(() => top.keys()?.join() === 'a,c', 'a in, b out');
		await db.get('s/c').delete();
		await waitFor(() => top.keys()?.join() === 'b,a', 'b back after c went');
		await db.get('s/c').set({ p: 8 });
		await waitFor(() => top.keys()?.join() === 'a,c', 'c re-added');
		await db.get('s/b/note').set('outside');
		await db.get('s/a/note').set('inside');
		await waitFor(() => JSON.stringify(top.last()) === JSON.stringify([['a', { p: 7, note: 'inside' }], ['c', { p: 8 }]]), 'the change inside');
		// The change of `b`, outside the window, produced no result of its own.
		expect(top.calls.map((call) => call.map(([key]) => key).join())).toEqual(['b,c', 'a,c', 'b,a', 'a,c', 'a,c']);
		await db.get('s').delete();
		await waitFor(() => top.last()?.length === 0, 'the empty window');
	});

	test('onKeys gives the keys of the window in order, and again only when they or their order change', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ s: { a: { p: 1 }, b: { p: 5 }, c: { p: 9 }, d: { p: 3 } } }));
		const db = connectClient(url);
		const told: string[][] = [];
		const stop = db.get('s').orderByChild('p').limitToLast(2).onKeys((keys) => told.push(keys));
		const page = db.get('s').orderByKey().startAfter('a').limitToFirst(2);
		const pages: string[][] = [];
		page.onKeys((keys) => pages.push(keys));
		await waitFor(() => told.length === 1 && pages.length === 1, 'the first keys');
		expect(told).toEqual([['b', 'c']]);
		expect(pages).toEqual([['b', 'c']]);

		// A change that keeps the keys and their order tells nothing; a move does.
		await db.get('s/b/note').set('x');
		await db.get('s/b/p').set(6);
		await db.get('s/b/p').set(10);
		await waitFor(() => told.length === 2, 'b moved after c');
		expect(told[1]).toEqual(['c', 'b']);
		await db.get('s/a/p').set(20);
		await waitFor(() => told.length === 3, 'a in, c out');
		expect(told[2]).toEqual(['b', 'a']);
		await db.get('s/bb').set({ p: 0 });
		await waitFor(() => pages.length === 2, 'bb in the page');
		expect(pages[1]).toEqual(['b', 'bb']);
		stop();
		expect(told).toHaveLength(3);
	});

	test('once gives one result', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ s: { a: 1, b: 2 } }));
		const db = connectClient(url);
		const seen: string[][] = [];
		db.get('s').orderByValue().once((entries) => seen.push(entries.map((entry) => entry.key)));
		await waitFor(() => seen.length === 1, 'the result');
		await db.get('s/c').set(3);
		const later = results(db.get('s').orderByValue());
		await waitFor(() => later.keys()?.join() === 'a,b,c', 'a later query sees c');
		expect(seen).toEqual([['a', 'b']]);
	});

	test('server:subscribe can refuse a query: the client hears client:error, the query stays empty', async () => {
		const { url } = await startServer({
			plugins: [{ name: 'no-queries', hooks: { 'server:subscribe': ({ query }) => { if (query !== undefined) throw new Error('no queries here'); } } }],
		});
		const db = connectClient(url);
		const errors: { code: string; message: string }[] = [];
		db.intercept('client:error', (event) => void errors.push(event));
		const recorded = results(db.get('s').orderByKey());
		await waitFor(() => errors.length === 1, 'the refusal');
		expect(errors[0]!.code).toBe('FORBIDDEN');
		expect(errors[0]!.message).toContain('no queries here');
		expect(recorded.calls).toEqual([]);
	});

	test('queries survive a reconnect: the window is sent again and what changed meanwhile arrives', async () => {
		const { server, port } = await startServer();
		await server.update(nodeify({ s: { a: { p: 1 }, b: { p: 2 } } }));
		const proxy = await startChaosProxy({ port });
		proxies.push(proxy);
		const db = connectClient(proxy.url);
		let reconnects = 0;
		db.intercept('client:reconnect', () => void reconnects++);
		const top = results(db.get('s').orderByChild('p').limitToLast(1));
		await waitFor(() => top.keys()?.join() === 'b', 'the result');
		proxy.reset();
		await server.update(nodeify({ s: { c: { p: 3 } } }));
		await waitFor(() => reconnects === 1 && top.keys()?.join() === 'c', 'c after the reconnect');
		await server.update(nodeify({ s: { d: { p: 4 } } }));
		await waitFor(() => top.keys()?.join() === 'd', 'd live again');
	});
});
