import { afterEach, describe, expect, test } from 'vitest';
import { SocketDBClient, createWebsocketClient } from '@socketdb/client';
import type { ChainReference } from '@socketdb/client';
import { barrier, cleanup, connectClient, record, sameJson, settle, startServer, waitFor } from './helpers/server';

afterEach(cleanup);



/**
 * Proves that everything the server sent `db` before this call has arrived: writes a
 * fresh value to a path `db` watches and waits until it comes back, then gives stray
 * callbacks a short moment to (wrongly) run.
 */

async function loaded<T>(recorded: { values: T[] }, count = 1, what = 'the initial value') {
	await waitFor(() => recorded.values.length >= count, what);
}

describe('get / set / on', () => {
	test('on delivers null for an absent path, then every change', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		const seen = record(db.get('profile'));
		await loaded(seen);
		expect(seen.values[0]).toBeNull();
		await db.get('profile').set({ name: 'Ada' });
		await waitFor(() => seen.values.length === 2, 'first change');
		await db.get('profile').set({ age: 36 });
		await waitFor(() => seen.values.length === 3, 'second change');
		expect(seen.values).toEqual([null, { name: 'Ada' }, { name: 'Ada', age: 36 }]);
	});

	test('on first delivers the current value when the path already holds one', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		await writer.get('config').set({ theme: 'dark', size: 3 });
		const reader = connectClient(url);
		const seen = record(reader.get('config'));
		await loaded(seen);
		expect(seen.values).toEqual([{ theme: 'dark', size: 3 }]);
		const leaf = record(reader.get('config/size'));
		await loaded(leaf);
		expect(leaf.values).toEqual([3]);
	});

	test('set deep-merges objects', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		const seen = record(db.get('doc'));
		await loaded(seen);
		await db.get('doc').set({ a: { x: 1, y: { z: 1 } }, b: 1 });
		await db.get('doc').set({ a: { y: { w: 2 } } });
		await db.get('doc').set({ c: 'new' });
		const expected = { a: { x: 1, y: { z: 1, w: 2 } }, b: 1, c: 'new' };
		await waitFor(() => sameJson(seen.last(), expected), 'merged document');
		expect(seen.last()).toEqual(expected);
	});

	test('set replaces leaves and arrays (arrays are not merged)', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		const seen = record(db.get('doc'));
		await loaded(seen);
		await db.get('doc').set({ n: 1, s: 'x', list: [1, 2, 3], objects: [{ a: 1 }, { b: 2 }] });
		await db.get('doc').set({ n: 2, list: [4], objects: [{ c: 3 }] });
		const expected = { n: 2, s: 'x', list: [4], objects: [{ c: 3 }] };
		await waitFor(() => sameJson(seen.last(), expected), 'replaced leaves');
		expect(seen.last()).toEqual(expected);
	});

	test('an object replaces a leaf, and a leaf replaces an object', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		const seen = record(db.get('doc'));
		await loaded(seen);
		await db.get('doc').set({ x: 5, keep: true });
		await waitFor(() => sameJson(seen.last(), { x: 5, keep: true }), 'leaf');
		await db.get('doc').set({ x: { y: 1 } });
		await waitFor(() => sameJson(seen.last(), { x: { y: 1 }, keep: true }), 'object over leaf');
		await db.get('doc').set({ x: 'leaf' });
		await waitFor(() => sameJson(seen.last(), { x: 'leaf', keep: true }), 'leaf over object');
		await db.get('doc').set({ x: { z: 2 } });
		await waitFor(() => sameJson(seen.last(), { x: { z: 2 }, keep: true }), 'object again, without old keys');
		expect(seen.last()).toEqual({ x: { z: 2 }, keep: true });
		// A whole path can go from leaf to object too.
		await db.get('doc/x/z').set(7);
		await db.get('doc/x/z').set({ deep: true });
		await waitFor(() => sameJson(seen.last(), { x: { z: { deep: true } }, keep: true }), 'nested object over leaf');
	});

	test('an empty object with meta sets meta only and leaves an object value as it was', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		const seen = record(db.get('doc'));
		await loaded(seen);
		await db.get('doc').set({ a: 1, b: { c: 2 } });
		await db.get('doc').set({}, { updated: 42 });
		await waitFor(() => seen.metas.some((meta) => (meta as { updated?: number } | undefined)?.updated === 42), 'meta');
		expect(seen.last()).toEqual({ a: 1, b: { c: 2 } });
		expect(seen.metas[seen.metas.length - 1]).toEqual({ updated: 42 });
	});

	test('an empty object with meta leaves a leaf value as it was', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		const other = connectClient(url);
		const seen = record(db.get('count'));
		const remote = record(other.get('count'));
		await loaded(seen);
		await loaded(remote);
		await db.get('count').set(5);
		await db.get('count').set({}, { updated: 7 });
		await waitFor(() => (seen.metas[seen.metas.length - 1] as { updated?: number } | undefined)?.updated === 7, 'meta on the leaf');
		await waitFor(() => (remote.metas[remote.metas.length - 1] as { updated?: number } | undefined)?.updated === 7, 'meta on the leaf (other client)');
		expect(seen.last()).toBe(5);
		expect(remote.last()).toBe(5);
		expect(seen.values).not.toContainEqual({});
		expect(remote.values).not.toContainEqual({});
	});

	test('callbacks receive meta as second argument, in sync with the value', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const reader = connectClient(url);
		const seen = record(reader.get('post'));
		await loaded(seen);
		expect(seen.metas[0]).toBeUndefined();
		await writer.get('post').set({ title: 'one' }, { rev: 1 });
		await waitFor(() => seen.values.length === 2, 'first revision');
		await writer.get('post').set({ title: 'two' }, { rev: 2 });
		await waitFor(() => seen.values.length === 3, 'second revision');
		expect(seen.values.slice(1)).toEqual([{ title: 'one' }, { title: 'two' }]);
		expect(seen.metas.slice(1)).toEqual([{ rev: 1 }, { rev: 2 }]);
		// A late subscriber gets value and meta together on its first call.
		const late = connectClient(url);
		const calls: [unknown, unknown][] = [];
		late.get('post').on((value, meta) => calls.push([value, meta]));
		await waitFor(() => calls.length === 1, 'late subscriber');
		expect(calls[0]).toEqual([{ title: 'two' }, { rev: 2 }]);
		// once hands meta too.
		const onceCalls: [unknown, unknown][] = [];
		late.get('post').once((value, meta) => onceCalls.push([value, meta]));
		await waitFor(() => onceCalls.length === 1, 'once with meta');
		expect(onceCalls[0]).toEqual([{ title: 'two' }, { rev: 2 }]);
	});

	test('a meta-only change reaches on with the unchanged value', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const reader = connectClient(url);
		await writer.get('item').set({ name: 'x' }, { v: 1 });
		const seen = record(reader.get('item'));
		await loaded(seen);
		await writer.get('item').set({}, { v: 2 });
		await waitFor(() => seen.values.length === 2, 'meta change');
		expect(seen.values).toEqual([{ name: 'x' }, { name: 'x' }]);
		expect(seen.metas).toEqual([{ v: 1 }, { v: 2 }]);
	});

	test("chained get('a').get('b') is the same path as get('a/b')", async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		const chained = record(db.get('a').get('b'));
		const slashed = record(db.get('a/b'));
		const deep = record(db.get('a').get('b').get('c'));
		const deepSlashed = record(db.get('a/b/c'));
		await loaded(chained);
		await loaded(slashed);
		await db.get('a').get('b').set({ c: 1 });
		await waitFor(() => slashed.last() !== null && deepSlashed.last() === 1, 'write through chain seen through slash path');
		await db.get('a/b').set({ c: 2 });
		await waitFor(() => deep.last() === 2 && sameJson(chained.last(), { c: 2 }), 'write through slash path seen through chain');
		expect(chained.values).toEqual(slashed.values);
		expect(deep.values).toEqual(deepSlashed.values);
	});

	test("get('*') and get('a/*') throw, get('1*') does not", async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		expect(() => db.get('*')).toThrow();
		expect(() => db.get('a/*')).toThrow();
		expect(() => db.get('a').get('*')).toThrow();
		expect(() => db.get('a').get('b/*')).toThrow();
		expect(() => db.get('1*')).not.toThrow();
		expect(() => db.get('a').get('1*')).not.toThrow();
		// '1*' is an ordinary key.
		const seen = record(db.get('1*'));
		await loaded(seen);
		await db.get('1*').set('star');
		await waitFor(() => seen.last() === 'star', "the value at '1*'");
	});
});

describe('delete', () => {
	test('subscribers of the path get null, ancestors the value without the key, descendants null', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const reader = connectClient(url);
		await writer.get('users').set({ 1: { name: 'Ada', tags: { admin: true } }, 2: { name: 'Bob' } });
		const clients = [writer, reader];
		const users = clients.map((db) => record(db.get('users')));
		const user = clients.map((db) => record(db.get('users/1')));
		const name = clients.map((db) => record(db.get('users/1/name')));
		const tag = clients.map((db) => record(db.get('users/1/tags/admin')));
		for (const seen of [...users, ...user, ...name, ...tag]) await loaded(seen);
		expect(user[1]!.last()).toEqual({ name: 'Ada', tags: { admin: true } });

		await writer.get('users/1').delete();
		await waitFor(
			() =>
				users.every((seen) => sameJson(seen.last(), { 2: { name: 'Bob' } })) &&
				user.every((seen) => seen.last() === null) &&
				name.every((seen) => seen.last() === null) &&
				tag.every((seen) => seen.last() === null),
			'the delete everywhere',
		);
		for (const seen of users) expect(seen.last()).toEqual({ 2: { name: 'Bob' } });
		for (const seen of [...user, ...name, ...tag]) expect(seen.last()).toBeNull();
	});

	test('deleting a leaf inside an object removes only that key', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		const seen = record(db.get('doc'));
		await loaded(seen);
		await db.get('doc').set({ a: 1, b: 2 });
		await db.get('doc/a').delete();
		await waitFor(() => sameJson(seen.last(), { b: 2 }), 'the remaining key');
		expect(seen.last()).toEqual({ b: 2 });
	});

	test('a path can be set again after it was deleted', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const reader = connectClient(url);
		await writer.get('users/1').set({ name: 'Ada', tags: { admin: true } });
		const user = record(reader.get('users/1'));
		const users = record(reader.get('users'));
		await waitFor(() => user.last() !== null && user.last() !== undefined, 'the user');
		await writer.get('users/1').delete();
		await waitFor(() => user.last() === null, 'the delete');
		await writer.get('users/1').set({ name: 'Zed' });
		await waitFor(() => sameJson(user.last(), { name: 'Zed' }), 'the value set again');
		expect(user.last()).toEqual({ name: 'Zed' });
		await waitFor(() => sameJson(users.last(), { 1: { name: 'Zed' } }), 'the parent');
		// Writing below a deleted path recreates it without its old content.
		await writer.get('users/1').delete();
		await writer.get('users/1/tags/editor').set(true);
		await waitFor(() => sameJson(user.last(), { tags: { editor: true } }), 'recreated below');
		expect(user.last()).toEqual({ tags: { editor: true } });
	});
});

describe('once', () => {
	test('calls exactly once with the current value, then never again', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const reader = connectClient(url);
		await writer.get('status').set({ online: true });
		const calls: unknown[] = [];
		reader.get('status').once((value) => calls.push(value));
		const absent: unknown[] = [];
		reader.get('nothing').once((value) => absent.push(value));
		await waitFor(() => calls.length === 1 && absent.length === 1, 'once');
		expect(calls).toEqual([{ online: true }]);
		expect(absent).toEqual([null]);

		const watch = record(reader.get('status'));
		const watchAbsent = record(reader.get('nothing'));
		await loaded(watch);
		await writer.get('status').set({ online: false });
		await writer.get('nothing').set(1);
		await waitFor(() => sameJson(watch.last(), { online: false }) && watchAbsent.last() === 1, 'the changes');
		await settle(reader);
		expect(calls).toEqual([{ online: true }]);
		expect(absent).toEqual([null]);
	});

	test('once when no other listener watches the path', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const reader = connectClient(url);
		await writer.get('lonely').set('first');
		const calls: unknown[] = [];
		reader.get('lonely').once((value) => calls.push(value));
		await waitFor(() => calls.length === 1, 'once');
		await writer.get('lonely').set('second');
		const pass = barrier(reader);
		await pass();
		expect(calls).toEqual(['first']);
	});
});

describe('each', () => {
	async function exerciseEach(watchValue: boolean) {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		const pass = barrier(db);
		await writer.get('users').set({ a: { n: 1 }, b: { n: 2 } });
		if (watchValue) await loaded(record(db.get('users')));
		const keys: string[] = [];
		const refs: ChainReference[] = [];
		const stop = db.get('users').each((ref, key) => {
			keys.push(String(key));
			refs.push(ref);
		});
		await waitFor(() => keys.length === 2, 'the existing keys');
		expect([...keys].sort()).toEqual(['a', 'b']);

		// The refs handed over point at the children.
		const first = await new Promise((resolve) => refs[keys.indexOf('a')]!.once(resolve));
		expect(first).toEqual({ n: 1 });

		await writer.get('users/c').set({ n: 3 });
		await waitFor(() => keys.length === 3, 'the added key');
		expect(keys[2]).toBe('c');

		// Changes to existing keys do not announce them again.
		await writer.get('users/a/n').set(10);
		await writer.get('users').set({ b: { extra: true } });
		await pass();
		expect(keys).toHaveLength(3);

		// A key deleted and added again is announced again.
		await writer.get('users/b').delete();
		await pass();
		expect(keys).toHaveLength(3);
		await writer.get('users/b').set({ n: 5 });
		await waitFor(() => keys.length === 4, 'the re-added key');
		expect(keys[3]).toBe('b');

		// Several keys in one write.
		await writer.get('users').set({ d: 1, e: 2 });
		await waitFor(() => keys.length === 6, 'two keys at once');
		expect(keys.slice(4).sort()).toEqual(['d', 'e']);

		stop();
		await writer.get('users/f').set({ n: 6 });
		await writer.get('users/a').delete();
		await writer.get('users/a').set({ n: 7 });
		await pass();
		expect(keys).toHaveLength(6);
	}

	test('once per existing and added key, with the path also watched by on (value subscription)', async () => {
		await exerciseEach(true);
	});

	test('once per existing and added key, with only each watching the path (keys subscription)', async () => {
		await exerciseEach(false);
	});

	test('each does not announce existing keys again when the value subscription covering it goes away', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		const pass = barrier(db);
		await writer.get('list').set({ a: 1, b: 2 });
		const watch = record(db.get('list'));
		await loaded(watch);
		const keys: string[] = [];
		db.get('list').each((_ref, key) => keys.push(String(key)));
		await waitFor(() => keys.length === 2, 'the existing keys');
		// The each listener is now served by a keys subscription instead.
		watch.stop();
		await pass();
		await writer.get('list/c').set(3);
		await waitFor(() => keys.includes('c'), 'the added key');
		await pass();
		expect(keys).toEqual(['a', 'b', 'c']);
	});

	test('each on an absent path starts when the first key appears', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		const keys: string[] = [];
		db.get('later').each((_ref, key) => keys.push(String(key)));
		const pass = barrier(db);
		await pass();
		expect(keys).toEqual([]);
		await writer.get('later/x').set(1);
		await waitFor(() => keys.length === 1, 'the first key');
		expect(keys).toEqual(['x']);
	});

	test('nested each and on inside the each callback', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		await writer.get('rooms').set({ r1: { title: 'A', members: { ada: true } }, r2: { title: 'B' } });
		const titles: Record<string, unknown[]> = {};
		const members: string[] = [];
		db.get('rooms').each((room, key) => {
			room.get('title').on((title) => (titles[String(key)] ??= []).push(title));
			room.get('members').each((_member, name) => members.push(`${String(key)}/${String(name)}`));
		});
		await waitFor(() => titles['r1']?.length === 1 && titles['r2']?.length === 1 && members.length === 1, 'the initial titles and members');
		expect(titles).toEqual({ r1: ['A'], r2: ['B'] });
		expect(members).toEqual(['r1/ada']);

		await writer.get('rooms/r1/title').set('A2');
		await writer.get('rooms/r3').set({ title: 'C', members: { bob: true } });
		await writer.get('rooms/r2/members/eve').set(true);
		await waitFor(() => titles['r1']?.length === 2 && titles['r3']?.length === 1 && members.length === 3, 'the changes');
		expect(titles).toEqual({ r1: ['A', 'A2'], r2: ['B'], r3: ['C'] });
		expect([...members].sort()).toEqual(['r1/ada', 'r2/eve', 'r3/bob']);
	});

	test('nested on inside each with the parent also watched by on', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		await writer.get('todos').set({ t1: { done: false } });
		const all = record(db.get('todos'));
		await loaded(all);
		const done: Record<string, unknown[]> = {};
		db.get('todos').each((todo, key) => todo.get('done').on((value) => (done[String(key)] ??= []).push(value)));
		await waitFor(() => done['t1']?.length === 1, 'the first todo');
		await writer.get('todos/t1/done').set(true);
		await writer.get('todos/t2').set({ done: false });
		await waitFor(() => done['t1']?.length === 2 && done['t2']?.length === 1, 'the changes');
		expect(done).toEqual({ t1: [false, true], t2: [false] });
	});
});

describe('onKeys', () => {
	test('gets the whole list of keys now and after every change, removals included, without loading values', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		const pass = barrier(db);
		await writer.get('users').set({ a: { n: 1 }, b: { n: 2 } });
		const lists: string[][] = [];
		const stop = db.get('users').onKeys((keys) => void lists.push([...keys].sort()));
		await waitFor(() => lists.length === 1, 'the current keys');
		expect(lists).toEqual([['a', 'b']]);
		await writer.get('users/c').set({ n: 3 });
		await waitFor(() => lists.length === 2, 'the added key');
		await writer.get('users/a/n').set(10);
		await pass();
		expect(lists).toHaveLength(2);
		await writer.get('users/b').delete();
		await waitFor(() => lists.length === 3, 'the removal');
		expect(lists).toEqual([['a', 'b'], ['a', 'b', 'c'], ['a', 'c']]);
		await writer.get('users').delete();
		await waitFor(() => lists.length === 4, 'the subtree removal');
		expect(lists[3]).toEqual([]);
		stop();
		await writer.get('users/d').set(1);
		await pass();
		expect(lists).toHaveLength(4);
	});

	test('a missing path or a leaf has no keys', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		await db.get('leaf').set(5);
		const lists: string[][] = [];
		db.get('leaf').onKeys((keys) => void lists.push(keys));
		db.get('missing').onKeys((keys) => void lists.push(keys));
		await waitFor(() => lists.length === 2, 'both lists');
		expect(lists).toEqual([[], []]);
	});
});

describe('subscribeGroup', () => {
	test('every subscription made through the group stops; others keep working', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		const pass = barrier(db);
		await writer.get('room').set({ title: 'Lobby', members: { ada: { online: true } }, topic: 'hi' });

		const groupOn: unknown[] = [];
		const groupDerived: unknown[] = [];
		const groupDeep: unknown[] = [];
		const groupEach: string[] = [];
		const groupChild: unknown[] = [];
		const groupNested: unknown[] = [];
		const leave = db.get('room').subscribeGroup((room) => {
			room.on((value) => groupOn.push(value));
			room.get('title').on((value) => groupDerived.push(value));
			room.get('members').get('ada').get('online').on((value) => groupDeep.push(value));
			room.get('members').each((member, key) => {
				groupEach.push(String(key));
				member.get('online').on((value) => groupChild.push([key, value]));
			});
			room.subscribeGroup((inner) => inner.get('topic').on((value) => groupNested.push(value)));
		});
		// Subscriptions outside the group, on the same and on other paths.
		const outsideTitle = record(db.get('room/title'));
		const outsideKeys: string[] = [];
		db.get('room/members').each((_ref, key) => outsideKeys.push(String(key)));
		const other = record(db.get('elsewhere'));
		await waitFor(
			() => groupOn.length === 1 && groupDerived.length === 1 && groupDeep.length === 1 && groupEach.length === 1 && groupChild.length === 1 && groupNested.length === 1,
			'the group subscriptions',
		);
		await waitFor(() => outsideTitle.values.length === 1 && outsideKeys.length === 1 && other.values.length === 1, 'the outside subscriptions');

		// The group works while it is joined.
		await writer.get('room/members/bob').set({ online: false });
		await waitFor(() => groupEach.length === 2 && groupChild.length === 2 && groupOn.length === 2, 'a new member in the group');

		leave();
		const counts = () => [groupOn.length, groupDerived.length, groupDeep.length, groupEach.length, groupChild.length, groupNested.length];
		const before = counts();
		await writer.get('room/title').set('Hall');
		await writer.get('room/topic').set('bye');
		await writer.get('room/members/ada/online').set(false);
		await writer.get('room/members/bob/online').set(true);
		await writer.get('room/members/cy').set({ online: true });
		await writer.get('elsewhere').set('still here');
		await waitFor(() => outsideTitle.last() === 'Hall' && outsideKeys.includes('cy') && other.last() === 'still here', 'the outside subscriptions after leaving');
		await pass();
		expect(counts()).toEqual(before);
		expect(outsideTitle.values).toEqual(['Lobby', 'Hall']);
		// Each key is announced once, even though the group's value subscription covering it went away.
		expect(outsideKeys).toEqual(['ada', 'bob', 'cy']);
		// Leaving twice is harmless.
		leave();
	});

	test('leaving before the first values arrive means no call at all (on, once, each)', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		const pass = barrier(db);
		await writer.get('g').set({ a: 1, b: { c: 2 } });
		const calls: unknown[] = [];
		const leave = db.get('g').subscribeGroup((group) => {
			group.once((value) => calls.push(['once', value]));
			group.get('b').once((value) => calls.push(['once b', value]));
			group.get('a').on((value) => calls.push(['on a', value]));
			group.each((_ref, key) => calls.push(['each', key]));
		});
		leave();
		await writer.get('g/a').set(3);
		await writer.get('g/d').set(4);
		await pass();
		expect(calls).toEqual([]);
	});

	test('the group and an identical subscription outside it are independent', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		const outside = record(db.get('shared'));
		const inside: unknown[] = [];
		const leave = db.get('shared').subscribeGroup((ref) => ref.on((value) => inside.push(value)));
		await waitFor(() => outside.values.length === 1 && inside.length === 1, 'both subscriptions');
		leave();
		await db.get('shared').set('after');
		await waitFor(() => outside.last() === 'after', 'the outside subscription');
		await settle(db);
		expect(inside).toEqual([null]);
	});
});

describe('several listeners', () => {
	test('unsubscribing one listener does not cancel another on the same path', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		const first = record(db.get('x'));
		const second = record(db.get('x'));
		const eachA: string[] = [];
		const eachB: string[] = [];
		const stopEachA = db.get('x').each((_ref, key) => eachA.push(String(key)));
		db.get('x').each((_ref, key) => eachB.push(String(key)));
		await loaded(first);
		await loaded(second);
		first.stop();
		stopEachA();
		await writer.get('x').set({ k: 1 });
		await waitFor(() => second.values.length === 2 && eachB.length === 1, 'the remaining listeners');
		expect(second.last()).toEqual({ k: 1 });
		await settle(db);
		expect(first.values).toEqual([null]);
		expect(eachA).toEqual([]);
	});

	test('unsubscribing a parent listener keeps the child listener working, and the other way round', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		await writer.get('p').set({ c: { v: 1 }, d: 1 });
		const parent = record(db.get('p'));
		const child = record(db.get('p/c'));
		await loaded(parent);
		await loaded(child);
		parent.stop();
		await writer.get('p/c/v').set(2);
		await waitFor(() => sameJson(child.last(), { v: 2 }), 'the child after the parent left');

		const parent2 = record(db.get('p'));
		await waitFor(() => sameJson(parent2.last(), { c: { v: 2 }, d: 1 }), 'a new parent listener');
		child.stop();
		await writer.get('p/d').set(3);
		await writer.get('p/c/v').set(4);
		await waitFor(() => sameJson(parent2.last(), { c: { v: 4 }, d: 3 }), 'the parent after the child left');
		await settle(db);
		expect(child.values).toEqual([{ v: 1 }, { v: 2 }]);
	});

	test('several listeners on the same and nested paths all get their values', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		const root = record(db.get('a'));
		const rootAgain = record(db.get('a'));
		const middle = record(db.get('a/b'));
		const leaf = record(db.get('a/b/c'));
		const leafAgain = record(db.get('a').get('b').get('c'));
		const sibling = record(db.get('a/z'));
		const all = [root, rootAgain, middle, leaf, leafAgain, sibling];
		for (const seen of all) await loaded(seen);
		await writer.get('a/b/c').set(1);
		await waitFor(() => leaf.last() === 1 && leafAgain.last() === 1 && middle.values.length === 2 && root.values.length === 2 && rootAgain.values.length === 2, 'the first write');
		await writer.get('a/z').set('zed');
		await waitFor(() => sibling.last() === 'zed' && root.values.length === 3 && rootAgain.values.length === 3, 'the second write');
		expect(root.values).toEqual([null, { b: { c: 1 } }, { b: { c: 1 }, z: 'zed' }]);
		expect(rootAgain.values).toEqual(root.values);
		expect(middle.values).toEqual([null, { c: 1 }]);
		expect(leaf.values).toEqual([null, 1]);
		expect(leafAgain.values).toEqual([null, 1]);
		expect(sibling.values).toEqual([null, 'zed']);
	});
});

describe('writes and references', () => {
	test('writes made before connect() are delivered once connected', async () => {
		const { url } = await startServer();
		const db = SocketDBClient({ socketClient: createWebsocketClient({ reconnectTimeout: 200 }) });
		try {
			const early = record(db.get('offline'));
			const written = db.get('offline').set({ a: 1 });
			db.get('offline/b').set(2);
			db.get('offline/gone').set(true);
			db.get('offline/gone').delete();
			db.connect(url);
			await written;
			const observer = connectClient(url);
			const seen = record(observer.get('offline'));
			await waitFor(() => sameJson(seen.last(), { a: 1, b: 2 }), 'the offline writes');
			expect(seen.last()).toEqual({ a: 1, b: 2 });
			await waitFor(() => sameJson(early.last(), { a: 1, b: 2 }), 'the writer\'s own listener');
		} finally {
			db.disconnect();
		}
	});

	test('set returns a chainable, awaitable reference', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		const observer = connectClient(url);
		const seen = record(observer.get('chain'));
		await loaded(seen);
		const ref = db.get('chain').set({ a: 1 });
		expect(typeof ref.get).toBe('function');
		expect(typeof ref.on).toBe('function');
		await expect(ref).resolves.toBeUndefined();
		await db.get('chain').set({ a: 2 }).get('b').set(3).get('c').set(4);
		await waitFor(() => sameJson(seen.last(), { a: 2, b: { c: 4 } }), 'the chained writes');
		expect(seen.last()).toEqual({ a: 2, b: { c: 4 } });
		// The chained reference subscribes like any other.
		const viaChain: unknown[] = [];
		db.get('chain').set({ d: 5 }).get('d').on((value) => viaChain.push(value));
		await waitFor(() => viaChain.includes(5), 'on through a chained reference');
		// delete is awaitable and chainable too.
		await db.get('chain').delete();
		await waitFor(() => seen.last() === null, 'the delete');
	});

	test('an awaited set has reached the server', async () => {
		const { url, server } = await startServer();
		const db = connectClient(url);
		await db.get('committed').set({ yes: true });
		expect(server.get('committed')).toEqual({ value: { yes: { value: true } } });
	});
});

describe('several clients', () => {
	test('every client sees every other client\'s writes, and its own', async () => {
		const { url, server } = await startServer();
		const clients = [connectClient(url), connectClient(url), connectClient(url)];
		const seen = clients.map((db) => record(db.get('board')));
		for (const recorded of seen) await loaded(recorded);
		await Promise.all(clients.map((db, index) => db.get(`board/c${index}`).set({ by: index })));
		const expected = { c0: { by: 0 }, c1: { by: 1 }, c2: { by: 2 } };
		await waitFor(() => seen.every((recorded) => sameJson(recorded.last(), expected)), 'every write everywhere');
		for (const recorded of seen) expect(recorded.last()).toEqual(expected);

		// Concurrent writes to the same key converge to the same value on every client.
		await Promise.all(clients.map((db, index) => db.get('board/winner').set(index)));
		const winner = server.get('board/winner').value as number;
		expect([0, 1, 2]).toContain(winner);
		await waitFor(() => seen.every((recorded) => (recorded.last() as Record<string, unknown> | null)?.['winner'] === winner), 'the contested key');
	});

	test('a client sees its own write through on', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		const seen = record(db.get('mine'));
		await loaded(seen);
		db.get('mine').set('hello');
		await waitFor(() => seen.last() === 'hello', 'the own write');
		expect(seen.values).toEqual([null, 'hello']);
	});
});
