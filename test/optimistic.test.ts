import { afterEach, describe, expect, test } from 'vitest';
import { increment, serverTimestamp, type SocketDBClientAPI } from '@socketdb/client';
import { SocketDBError, nodeify, unwrap, type Json, type Node } from '@socketdb/core';
import type { ServerPlugin, SocketDBServerAPI } from '@socketdb/server';
import { cleanup, connectClient, record, settle, sleep, startServer, waitFor } from './helpers/server';

afterEach(cleanup);

/** Resolves after the microtasks queued so far, before the next macrotask. */
const sameTick = () => new Promise<void>((resolve) => queueMicrotask(resolve));

type Held = { what: unknown; release: () => void; refuse: (reason: string) => void };

/**
 * A server plugin that holds every client write in its hooks until the test lets it through or
 * refuses it, so the test decides when the server answers. The server's own writes pass.
 */
function gate() {
	const held: Held[] = [];
	const hold = (what: unknown, writer: unknown) =>
		writer === null
			? undefined
			: new Promise<undefined>((resolve, reject) => held.push({ what, release: () => resolve(undefined), refuse: (reason) => reject(new SocketDBError('FORBIDDEN', reason)) }));
	const plugin: ServerPlugin = {
		name: 'gate',
		hooks: {
			'server:update': ({ data }, { client }) => hold(unwrap(JSON.parse(JSON.stringify(data)) as Node), client.id),
			'server:delete': ({ path }, { client }) => hold(`delete ${path}`, client.id),
		},
	};
	return {
		plugin,
		/** The next write the server holds (they reach the hooks one at a time, in the client's order). */
		async next(): Promise<Held> {
			await waitFor(() => held.length > 0, 'a write at the gate');
			return held.shift()!;
		},
	};
}

/** A server holding `data`, with the gate in its hooks, and a client watching `path` (its first value arrived). */
async function watching(data: Json, path: string, options: { optimistic?: boolean; updateInterval?: number } = {}) {
	const writes = gate();
	const { server, url } = await startServer({ plugins: [writes.plugin], updateInterval: options.updateInterval ?? 0 });
	await server.update(nodeify(data));
	const db = connectClient(url, options.optimistic === undefined ? {} : { optimistic: options.optimistic });
	const seen = record(db.get(path));
	await waitFor(() => seen.values.length === 1, 'the first value');
	return { server, url, db, seen, writes };
}

/** Waits until the server holds `value` at `path` and `seen` (a subscription of `db`) shows it, then one round trip of `db` for stray callbacks. */
async function settled(db: SocketDBClientAPI, server: { get: (path: string) => Node }, path: string, seen: { last: () => unknown }, value: unknown) {
	await waitFor(() => JSON.stringify(unwrap(server.get(path))) === JSON.stringify(value), `the server to hold ${JSON.stringify(value)}`);
	await waitFor(() => JSON.stringify(seen.last()) === JSON.stringify(value), `the client to show ${JSON.stringify(value)}`);
	await settle(db);
}

let batchMarkers = 0;

/**
 * A subscription of `db` to a path of its own; `afterNextBatch()` waits until a change the server
 * makes to it then has reached `db`: the changes the server had batched before have been sent by
 * then, however slow the machine. Made before a write is held, since a client's later
 * subscriptions wait for its writes.
 */
async function batchMarker(db: SocketDBClientAPI, server: Pick<SocketDBServerAPI, 'update'>) {
	const id = String(++batchMarkers);
	const marker = record(db.get(`__batch/${id}`));
	await waitFor(() => marker.values.length === 1, 'the marker subscription');
	let changes = 0;
	return async function afterNextBatch() {
		const change = ++changes;
		await server.update(nodeify({ __batch: { [id]: change } }));
		await waitFor(() => marker.last() === change, 'the marker change');
	};
}

describe('optimistic writes', () => {
	test('a subscriber sees its own write in the same tick, before the server answers', async () => {
		const { server, db, seen, writes } = await watching({ doc: { title: 'old', body: 'text' } }, 'doc');
		const outcome = db.get('doc').get('title').set('new');
		await sameTick();
		expect(seen.values).toEqual([{ title: 'old', body: 'text' }, { title: 'new', body: 'text' }]);

		const held = await writes.next();
		expect(held.what).toEqual({ doc: { title: 'new' } });
		expect(server.get('doc/title').value).toBe('old');
		held.release();
		await outcome;
		await settled(db, server, 'doc', seen, { title: 'new', body: 'text' });
		// Nothing went back to the old value between the acknowledgement and the server's change.
		expect(seen.values).toEqual([{ title: 'old', body: 'text' }, { title: 'new', body: 'text' }]);
	});

	test('no flicker back to the old value while the server batches its changes (the ACK comes first)', async () => {
		const { server, db, seen } = await (async () => {
			const { server, url } = await startServer({ updateInterval: 150 });
			await server.update(nodeify({ counter: 1 }));
			const db = connectClient(url);
			const seen = record(db.get('counter'));
			await waitFor(() => seen.values.length === 1, 'the first value');
			return { server, db, seen };
		})();
		await db.get('counter').set(2);
		// Acknowledged; the server's change is still batched.
		expect(seen.values).toEqual([1, 2]);
		await settled(db, server, 'counter', seen, 2);
		await (await batchMarker(db, server))();
		expect(seen.values).toEqual([1, 2]);
	});

	test('a write the server refuses after a while: first the local value, then the server’s again', async () => {
		const { server, db, seen, writes } = await watching({ doc: { title: 'old' } }, 'doc');
		const afterNextBatch = await batchMarker(db, server);
		const outcome = db.get('doc').set({ title: 'mine' }).then(
			() => undefined,
			(error: unknown) => error,
		);
		await sameTick();
		expect(seen.last()).toEqual({ title: 'mine' });
		await afterNextBatch();
		expect(seen.last()).toEqual({ title: 'mine' });
		(await writes.next()).refuse('read-only');
		expect(await outcome).toMatchObject({ code: 'FORBIDDEN', message: 'read-only' });
		expect(seen.values).toEqual([{ title: 'old' }, { title: 'mine' }, { title: 'old' }]);
		expect(server.get('doc/title').value).toBe('old');
	});

	test('two pending writes, the first refused: the view is the server’s value with the second on top', async () => {
		const { server, db, seen, writes } = await watching({ doc: { a: 0, b: 0 } }, 'doc');
		const first = db.get('doc').set({ a: 1, b: 1 }).then(
			() => 'applied',
			() => 'refused',
		);
		const second = db.get('doc').get('b').set(2);
		await sameTick();
		expect(seen.last()).toEqual({ a: 1, b: 2 });

		(await writes.next()).refuse('no');
		expect(await first).toBe('refused');
		expect(seen.last()).toEqual({ a: 0, b: 2 });
		const held = await writes.next();
		expect(held.what).toEqual({ doc: { b: 2 } });
		expect(unwrap(server.get('doc'))).toEqual({ a: 0, b: 0 });
		held.release();
		await second;
		await settled(db, server, 'doc', seen, { a: 0, b: 2 });
		expect(seen.values).toEqual([{ a: 0, b: 0 }, { a: 1, b: 2 }, { a: 0, b: 2 }]);
	});

	test('a delete shows at once and comes back when refused', async () => {
		const { server, db, seen, writes } = await watching({ list: { a: 1, b: 2 } }, 'list');
		const keys: string[][] = [];
		db.get('list').onKeys((list) => keys.push(list));
		await waitFor(() => keys.length === 1, 'the first keys');
		const outcome = db.get('list').get('a').delete().then(
			() => 'applied',
			() => 'refused',
		);
		await sameTick();
		expect(seen.last()).toEqual({ b: 2 });
		expect(keys.at(-1)).toEqual(['b']);
		(await writes.next()).refuse('keep it');
		expect(await outcome).toBe('refused');
		expect(seen.values).toEqual([{ a: 1, b: 2 }, { b: 2 }, { a: 1, b: 2 }]);
		expect(keys.at(-1)?.sort()).toEqual(['a', 'b']);

		// Let through, the delete stays.
		const kept = db.get('list').get('b').delete();
		await sameTick();
		expect(seen.last()).toEqual({ a: 1 });
		(await writes.next()).release();
		await kept;
		await settled(db, server, 'list', seen, { a: 1 });
		expect(seen.values).toEqual([{ a: 1, b: 2 }, { b: 2 }, { a: 1, b: 2 }, { a: 1 }]);
	});

	test('an update shows whole at once and is taken back whole when refused', async () => {
		const { server, db, seen, writes } = await watching({ users: { 1: { name: 'Ada', city: 'Paris' }, 2: { name: 'Bob' } } }, 'users');
		const outcome = db.get('users').update({ '1/city': 'London', 2: null, 3: { name: 'Cy' } }).then(
			() => 'applied',
			() => 'refused',
		);
		await sameTick();
		expect(seen.values).toEqual([
			{ 1: { name: 'Ada', city: 'Paris' }, 2: { name: 'Bob' } },
			{ 1: { name: 'Ada', city: 'London' }, 3: { name: 'Cy' } },
		]);
		(await writes.next()).refuse('no');
		expect(await outcome).toBe('refused');
		expect(seen.last()).toEqual({ 1: { name: 'Ada', city: 'Paris' }, 2: { name: 'Bob' } });

		const applied = db.get('users').update({ '1/city': 'Rome', 2: null });
		await sameTick();
		expect(seen.last()).toEqual({ 1: { name: 'Ada', city: 'Rome' } });
		(await writes.next()).release();
		// The update has a delete: its own `server:delete` hook call.
		(await writes.next()).release();
		await applied;
		await settled(db, server, 'users', seen, { 1: { name: 'Ada', city: 'Rome' } });
		expect(seen.values).toHaveLength(4);
	});

	test('a write to a path above the subscription shows there, and is taken back there', async () => {
		const { db, seen, writes } = await watching({ users: { 1: { name: 'Ada' } } }, 'users/1/name');
		const outcome = db.get('users').set({ 1: { name: 'Ann' } }).then(
			() => 'applied',
			() => 'refused',
		);
		await sameTick();
		expect(seen.last()).toBe('Ann');
		(await writes.next()).refuse('no');
		expect(await outcome).toBe('refused');
		expect(seen.values).toEqual(['Ada', 'Ann', 'Ada']);
	});

	test('what the server makes of the write replaces the local value once its change arrives', async () => {
		const { server, url } = await startServer({
			plugins: [
				{
					name: 'upper',
					hooks: {
						'server:update': ({ data }) => ({ data: JSON.parse(JSON.stringify(data).replace(/"ada"/g, '"ADA"')) as Node }),
					},
				},
			],
		});
		await server.update(nodeify({ name: 'x' }));
		const db = connectClient(url);
		const seen = record(db.get('name'));
		await waitFor(() => seen.values.length === 1, 'the first value');
		await db.get('name').set('ada');
		await settled(db, server, 'name', seen, 'ADA');
		expect(seen.values).toEqual(['x', 'ada', 'ADA']);

		// Once more, where the server already holds what it makes of the write: the write changes
		// nothing there, and the client still goes back to the server's value (also when the
		// database moved on elsewhere since the client last heard of this path).
		await server.update(nodeify({ elsewhere: 1 }));
		await db.get('name').set('ada');
		await settled(db, server, 'name', seen, 'ADA');
		expect(seen.values).toEqual(['x', 'ada', 'ADA', 'ada', 'ADA']);
	});

	test('a write that changes nothing on the server leaves the view as the server has it, under batching too', async () => {
		const { server, url } = await startServer({
			updateInterval: 100,
			plugins: [{ name: 'keep', hooks: { 'server:update': ({ data }) => ({ data: JSON.parse(JSON.stringify(data).replace(/"mine"/g, '"theirs"')) as Node }) } }],
		});
		await server.update(nodeify({ a: { v: 'theirs' }, b: { v: 1 } }));
		const db = connectClient(url);
		const a = record(db.get('a'));
		const b = record(db.get('b'));
		await waitFor(() => a.values.length === 1 && b.values.length === 1, 'the first values');
		// One write reaching both subscriptions: b changes, a does not (the hook keeps "theirs").
		await db.update({ 'a/v': 'mine', 'b/v': 2 });
		await settled(db, server, 'a', a, { v: 'theirs' });
		await settled(db, server, 'b', b, { v: 2 });
		expect(a.values).toEqual([{ v: 'theirs' }, { v: 'mine' }, { v: 'theirs' }]);
		expect(b.values).toEqual([{ v: 1 }, { v: 2 }]);
	});

	test('a client:set hook runs first: what shows is what it produced; a write it drops never shows', async () => {
		const { server, db, seen, writes } = await watching({ doc: { title: 'old' } }, 'doc');
		db.intercept('client:set', async ({ path, value, meta }) => {
			await sleep(10);
			if (value === 'drop') throw new Error('dropped');
			return { path, value: typeof value === 'string' ? value.toUpperCase() : value, meta };
		});
		const dropped = db.get('doc').get('title').set('drop').then(
			() => 'applied',
			() => 'dropped',
		);
		const kept = db.get('doc').get('title').set('new');
		await sameTick();
		expect(seen.values).toEqual([{ title: 'old' }]);
		expect(await dropped).toBe('dropped');
		await waitFor(() => seen.values.length === 2, 'the hooked write');
		expect(seen.values).toEqual([{ title: 'old' }, { title: 'NEW' }]);
		(await writes.next()).release();
		await kept;
		await settled(db, server, 'doc', seen, { title: 'NEW' });
		expect(seen.values).toEqual([{ title: 'old' }, { title: 'NEW' }]);
	});

	test('writes made offline show at once and stay shown until the server answers', async () => {
		const { server, url, db, seen, writes } = await watching({ doc: { n: 0 } }, 'doc');
		db.disconnect();
		const first = db.get('doc').get('n').set(1);
		const second = db.get('doc').get('m').set(2);
		await sameTick();
		expect(seen.last()).toEqual({ n: 1, m: 2 });

		db.connect(url);
		(await writes.next()).release();
		(await writes.next()).release();
		await Promise.all([first, second]);
		await settled(db, server, 'doc', seen, { n: 1, m: 2 });
		expect(seen.values).toEqual([{ n: 0 }, { n: 1, m: 2 }]);
	});

	test('an offline write the server refuses once back is taken back', async () => {
		const { url, db, seen, writes } = await watching({ doc: { n: 0 } }, 'doc');
		db.disconnect();
		const outcome = db.get('doc').get('n').set(1).then(
			() => 'applied',
			() => 'refused',
		);
		await sameTick();
		expect(seen.last()).toEqual({ n: 1 });
		db.connect(url);
		(await writes.next()).refuse('no');
		expect(await outcome).toBe('refused');
		await waitFor(() => JSON.stringify(seen.last()) === '{"n":0}', 'the server’s value');
		expect(seen.values).toEqual([{ n: 0 }, { n: 1 }, { n: 0 }]);
	});

	test('optimistic: false shows a write only once the server sends it back', async () => {
		const { server, db, seen, writes } = await watching({ doc: { title: 'old' } }, 'doc', { optimistic: false });
		const afterNextBatch = await batchMarker(db, server);
		const outcome = db.get('doc').get('title').set('new');
		const held = await writes.next();
		await afterNextBatch();
		expect(seen.values).toEqual([{ title: 'old' }]);
		held.release();
		await outcome;
		await settled(db, server, 'doc', seen, { title: 'new' });
		expect(seen.values).toEqual([{ title: 'old' }, { title: 'new' }]);

		// Refused, it never shows.
		const refused = db.get('doc').get('title').set('never').then(
			() => 'applied',
			() => 'refused',
		);
		(await writes.next()).refuse('no');
		expect(await refused).toBe('refused');
		await settle(db);
		expect(seen.values).toEqual([{ title: 'old' }, { title: 'new' }]);
	});

	test('untouched subtrees keep their identity, through the local write, its acknowledgement and the server’s change', async () => {
		const { server, db, seen } = await (async () => {
			const { server, url } = await startServer({ updateInterval: 20 });
			await server.update(nodeify({ users: { 1: { name: 'Ada', tags: { a: true } }, 2: { name: 'Bob' } } }));
			const db = connectClient(url);
			const seen = record<Record<string, { name: string; tags?: object }>>(db.get('users'));
			await waitFor(() => seen.values.length === 1, 'the first value');
			return { server, db, seen };
		})();
		const before = seen.last()!;
		await db.get('users').get('1').get('name').set('Ann');
		const local = seen.values[1]!;
		expect(local['1']!.name).toBe('Ann');
		expect(local['2']).toBe(before['2']);
		expect(local['1']!.tags).toBe(before['1']!.tags);
		await settled(db, server, 'users', seen, { 1: { name: 'Ann', tags: { a: true } }, 2: { name: 'Bob' } });
		// The server's change equals what was shown: no callback, and the same objects.
		expect(seen.values).toHaveLength(2);

		// A later write still shares the untouched parts with what was shown.
		await db.get('users').get('2').get('name').set('Ben');
		const after = seen.last()!;
		expect(after['1']).toBe(local['1']);
		await settled(db, server, 'users', seen, { 1: { name: 'Ann', tags: { a: true } }, 2: { name: 'Ben' } });
		expect(seen.last()).toBe(after);
	});

	test('a value that arrives while a write is pending shows with the write on top', async () => {
		const { db, writes } = await watching({ doc: { a: 1, b: 1 }, other: 0 }, 'other');
		// The subscription goes out before the write: the server answers it with the value before the write.
		const doc = record(db.get('doc'));
		const outcome = db.get('doc').get('a').set(2);
		const held = await writes.next();
		await waitFor(() => doc.values.length === 1, 'the new subscription’s value');
		expect(doc.values).toEqual([{ a: 2, b: 1 }]);
		held.release();
		await outcome;
		await settle(db);
		expect(doc.values).toEqual([{ a: 2, b: 1 }]);
	});
});

describe('server values shown ahead', () => {
	test("an increment shows as the value held plus the delta, a timestamp as the client's clock; then the server's numbers", async () => {
		const { server, db, seen, writes } = await watching({ doc: { likes: 5, title: 'x' } }, 'doc');
		const before = Date.now();
		void db.get('doc').update({ likes: increment(2), seen: serverTimestamp() });
		await sameTick();
		const shown = seen.last() as { likes: number; seen: number; title: string };
		expect(shown.likes).toBe(7);
		expect(shown.title).toBe('x');
		expect(shown.seen).toBeGreaterThanOrEqual(before);
		expect(shown.seen).toBeLessThanOrEqual(Date.now());
		// Another client's increment lands first: the shown value counts from it.
		await server.update(nodeify({ doc: { likes: 10 } }));
		await waitFor(() => (seen.last() as { likes: number }).likes === 12, 'the shown increment on the new value');
		(await writes.next()).release();
		await waitFor(() => (unwrap(server.get('doc/likes')) as number) === 12, 'the server to apply the increment');
		const stamped = unwrap(server.get('doc/seen')) as number;
		await waitFor(() => (seen.last() as { seen: number }).seen === stamped, "the server's timestamp");
		expect(seen.last()).toEqual({ likes: 12, title: 'x', seen: stamped });
	});
});
