import { afterEach, describe, expect, test } from 'vitest';
import { barrier, cleanup, connectClient, record, sameJson, startServer, waitFor } from './helpers/server';

afterEach(cleanup);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests poke at snapshots on purpose
type Loose = any;



function expectDeeplyFrozen(value: unknown, where = 'value'): void {
	if (typeof value !== 'object' || value === null) return;
	expect(Object.isFrozen(value), `${where} is frozen`).toBe(true);
	for (const [key, child] of Object.entries(value)) expectDeeplyFrozen(child, `${where}.${key}`);
}

const DOC = { a: { b: { c: 1 } }, list: [1, { x: 2 }, [3, 4]], s: 'text' };

describe('frozen snapshots', () => {
	function expectWritesThrow(value: Loose): void {
		expect(() => {
			value.s = 'changed';
		}).toThrow(TypeError);
		expect(() => {
			value.added = 1;
		}).toThrow(TypeError);
		expect(() => {
			delete value.a;
		}).toThrow(TypeError);
		expect(() => {
			value.a.b.c = 2;
		}).toThrow(TypeError);
		expect(() => {
			value.list.push(5);
		}).toThrow(TypeError);
		expect(() => {
			value.list[0] = 9;
		}).toThrow(TypeError);
		expect(() => {
			value.list[1].x = 3;
		}).toThrow(TypeError);
		expect(() => {
			value.list[2].push(5);
		}).toThrow(TypeError);
		// Nothing changed.
		expect(value).toEqual(DOC);
	}

	test('values handed to on are frozen, nested objects and arrays included (first value)', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		await writer.get('doc').set(DOC);
		const seen = record(db.get('doc'));
		await waitFor(() => seen.values.length === 1, 'the value');
		const value = seen.last();
		expect(value).toEqual(DOC);
		expectDeeplyFrozen(value);
		expectWritesThrow(value);
	});

	test('values handed to on are frozen after an update too', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		const seen = record(db.get('doc'));
		const list = record(db.get('doc/list'));
		await waitFor(() => seen.values.length === 1 && list.values.length === 1, 'the initial null');
		await writer.get('doc').set(DOC);
		await waitFor(() => seen.values.length === 2 && list.values.length === 2, 'the update');
		expectDeeplyFrozen(seen.last());
		expectWritesThrow(seen.last());
		const array = list.last() as Loose;
		expect(Array.isArray(array)).toBe(true);
		expectDeeplyFrozen(array);
		expect(() => {
			array.pop();
		}).toThrow(TypeError);

		// And after a later partial update.
		await writer.get('doc/a/b/d').set({ deep: [1, { y: 2 }] });
		await waitFor(() => seen.values.length === 3, 'the partial update');
		expectDeeplyFrozen(seen.last());
		expect(() => {
			(seen.last() as Loose).a.b.d.deep[1].y = 3;
		}).toThrow(TypeError);
	});

	test('values handed to once are frozen', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		await db.get('doc').set(DOC);
		const value = await new Promise<unknown>((resolve) => db.get('doc').once(resolve));
		expect(value).toEqual(DOC);
		expectDeeplyFrozen(value);
		expectWritesThrow(value);
	});
});

describe('structural sharing', () => {
	test('unchanged subtrees keep their identity between calls, changed ones are new objects', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		await writer.get('tree').set({ a: { x: 1 }, b: { y: { z: 2 } }, c: [1, 2], d: { e: { f: 1 } } });
		const seen = record<Loose>(db.get('tree'));
		await waitFor(() => seen.values.length === 1, 'the tree');
		const first = seen.values[0];

		await writer.get('tree/a/x').set(3);
		await waitFor(() => seen.values.length === 2, 'the first change');
		const second = seen.values[1];
		expect(second).toEqual({ a: { x: 3 }, b: { y: { z: 2 } }, c: [1, 2], d: { e: { f: 1 } } });
		expect(second).not.toBe(first);
		expect(second.a).not.toBe(first.a);
		expect(second.b).toBe(first.b);
		expect(second.b.y).toBe(first.b.y);
		expect(second.c).toBe(first.c);
		expect(second.d).toBe(first.d);

		await writer.get('tree/d/e/g').set(2);
		await waitFor(() => seen.values.length === 3, 'the second change');
		const third = seen.values[2];
		expect(third.d).not.toBe(second.d);
		expect(third.d.e).not.toBe(second.d.e);
		expect(third.a).toBe(second.a);
		expect(third.b).toBe(second.b);
		expect(third.c).toBe(second.c);

		await writer.get('tree/a').delete();
		await waitFor(() => seen.values.length === 4, 'the delete');
		const fourth = seen.values[3];
		expect(fourth).toEqual({ b: { y: { z: 2 } }, c: [1, 2], d: { e: { f: 1, g: 2 } } });
		expect(fourth.b).toBe(first.b);
		expect(fourth.c).toBe(first.c);
		expect(fourth.d).toBe(third.d);

		await writer.get('tree/c').set([1, 2, 3]);
		await waitFor(() => seen.values.length === 5, 'the array change');
		const fifth = seen.values[4];
		expect(fifth.c).not.toBe(fourth.c);
		expect(fifth.c).toEqual([1, 2, 3]);
		expect(fifth.b).toBe(first.b);
		expect(fifth.d).toBe(third.d);
	});

	test('a listener on an unchanged subtree is not called when a sibling changes', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		const pass = barrier(db);
		await writer.get('tree').set({ a: { x: 1 }, b: { y: 2 } });
		const whole = record<Loose>(db.get('tree'));
		const b = record<Loose>(db.get('tree/b'));
		await waitFor(() => whole.values.length === 1 && b.values.length === 1, 'the initial values');
		await writer.get('tree/a/x').set(2);
		await waitFor(() => whole.values.length === 2, 'the change');
		await pass();
		expect(b.values).toHaveLength(1);
	});

	test('setting a value equal to the current one does not call on again', async () => {
		const { url } = await startServer();
		const writer = connectClient(url);
		const db = connectClient(url);
		const pass = barrier(db);
		await writer.get('eq').set({ leaf: 1, obj: { a: 1, b: [1, 2] }, list: [{ x: 1 }] }, { tag: 'm' });
		const whole = record<Loose>(db.get('eq'));
		const leaf = record(db.get('eq/leaf'));
		const obj = record(db.get('eq/obj'));
		await waitFor(() => whole.values.length === 1 && leaf.values.length === 1 && obj.values.length === 1, 'the initial values');

		await writer.get('eq/leaf').set(1);
		await writer.get('eq/obj').set({ a: 1, b: [1, 2] });
		await writer.get('eq').set({ list: [{ x: 1 }] });
		await writer.get('eq').set({}, { tag: 'm' });
		await writer.get('eq').set({ leaf: 1, obj: { a: 1 } });
		// The writing client itself does not hear about equal writes either.
		await db.get('eq/leaf').set(1);
		await db.get('eq').set({ obj: { b: [1, 2] } });
		await pass();
		expect(whole.values).toHaveLength(1);
		expect(leaf.values).toHaveLength(1);
		expect(obj.values).toHaveLength(1);

		// A real change still gets through, and keeps the untouched parts.
		await writer.get('eq/leaf').set(2);
		await waitFor(() => whole.values.length === 2 && leaf.values.length === 2, 'the real change');
		await pass();
		expect(obj.values).toHaveLength(1);
		expect(whole.values[1].obj).toBe(whole.values[0].obj);
		expect(sameJson(whole.last(), { leaf: 2, obj: { a: 1, b: [1, 2] }, list: [{ x: 1 }] })).toBe(true);
	});
});

describe('what callbacks and hooks receive is made of plain objects', () => {
	test('meta handed to on() is a frozen plain object', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		await db.get('doc').set({ title: 'x' }, { by: { name: 'ada' } });
		const meta = await new Promise<{ by: { name: string } }>((resolve) => db.get('doc').once((_value, meta) => resolve(meta as { by: { name: string } })));
		expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
		expect(Object.getPrototypeOf(meta.by)).toBe(Object.prototype);
		expect(Object.isFrozen(meta) && Object.isFrozen(meta.by)).toBe(true);
		expect(Object.prototype.hasOwnProperty.call(meta, 'by')).toBe(true);
	});

	test('server:update and server:change payloads are plain objects', async () => {
		const { url, server } = await startServer();
		const seen: unknown[] = [];
		server.intercept('server:update', ({ data }) => void seen.push(data.value));
		server.intercept('server:change', ({ data }) => void seen.push(data?.value));
		const db = connectClient(url);
		await db.get('a').get('b').set(1);
		await waitFor(() => seen.length === 2, 'both hooks');
		for (const value of seen) expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
	});
});
