import { afterEach, describe, expect, test } from 'vitest';
import { SocketDBClient, type ChainReference, type WriteReference } from '@socketdb/client';
import { unwrap } from '@socketdb/core';
import { cleanup, connectClient, record, startServer, waitFor } from './helpers/server';

afterEach(cleanup);

const PUSH_KEY = /^[-0-9A-Z_a-z]{20}$/;

/** Assigning to `path` or `key` must fail (test modules run in strict mode, so it throws). */
function expectReadOnly(ref: ChainReference): void {
	const before = { path: ref.path, key: ref.key };
	expect(() => ((ref as { path: string }).path = 'elsewhere')).toThrow(TypeError);
	expect(() => ((ref as { key: string | null }).key = 'other')).toThrow(TypeError);
	expect({ path: ref.path, key: ref.key }).toEqual(before);
}

describe('ref.path and ref.key', () => {
	test('the root has the path "" and the key null', () => {
		const db = SocketDBClient();
		expect(db.path).toBe('');
		expect(db.key).toBeNull();
		expect(db.get('').path).toBe('');
		expect(db.get('').key).toBeNull();
		expectReadOnly(db);
		expectReadOnly(db.get(''));
	});

	test('a nested reference has its full path and its last segment as key', () => {
		const db = SocketDBClient();
		const user = db.get('users').get('42');
		expect(user.path).toBe('users/42');
		expect(user.key).toBe('42');
		expect(db.get('users').key).toBe('users');
		expect(db.get('a/b/c').path).toBe('a/b/c');
		expect(db.get('a/b/c').key).toBe('c');
		expect(db.get('a').get('b/c').get(7).path).toBe('a/b/c/7');
		expect(db.get('a').get('b/c').get(7).key).toBe('7');
		expectReadOnly(user);
	});

	test('what set, delete and push return has the path and key of its reference', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		const set = db.get('doc').get('title').set('Hello');
		expect(set.path).toBe('doc/title');
		expect(set.key).toBe('title');
		expect(set.get('x').path).toBe('doc/title/x');
		expectReadOnly(set);
		await set;
		const rootSet = db.set({ top: 1 });
		expect(rootSet.path).toBe('');
		expect(rootSet.key).toBeNull();
		await rootSet;
		const deleted = db.get('doc').delete();
		expect(deleted.path).toBe('doc');
		expect(deleted.key).toBe('doc');
		expectReadOnly(deleted);
		await deleted;
		const pushed = db.get('list').push('first');
		expect(pushed.key).toMatch(PUSH_KEY);
		expect(pushed.path).toBe(`list/${pushed.key}`);
		expectReadOnly(pushed);
		await pushed;
		const atRoot = db.push();
		expect(atRoot.path).toBe(atRoot.key);
		expect(atRoot.key).toMatch(PUSH_KEY);
	});

	test('references from each and subscribeGroup have their paths and keys', async () => {
		const { url } = await startServer();
		const db = connectClient(url);
		await db.get('rooms').set({ lobby: { title: 'Lobby' }, garden: { title: 'Garden' } });
		const seen: { path: string; key: string | null; given: string }[] = [];
		db.get('rooms').each((room, key) => {
			seen.push({ path: room.path, key: room.key, given: String(key) });
			expectReadOnly(room);
		});
		await waitFor(() => seen.length === 2, 'both rooms');
		expect(seen.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
			{ path: 'rooms/garden', key: 'garden', given: 'garden' },
			{ path: 'rooms/lobby', key: 'lobby', given: 'lobby' },
		]);

		const grouped: string[] = [];
		const leave = db.get('rooms').get('lobby').subscribeGroup((room) => {
			grouped.push(`${room.path} ${room.key}`, room.get('title').path);
			expectReadOnly(room);
		});
		expect(grouped).toEqual(['rooms/lobby lobby', 'rooms/lobby/title']);
		leave();
	});
});

describe('push', () => {
	test('1,000 keys from two clients are unique, in creation order per client, and all stored', async () => {
		const { url, server } = await startServer();
		const a = connectClient(url);
		const b = connectClient(url);
		const made: { a: string[]; b: string[] } = { a: [], b: [] };
		const writes: WriteReference[] = [];
		for (let i = 0; i < 500; i++) {
			const fromA = a.get('items').push({ by: 'a', n: i });
			const fromB = b.get('items').push({ by: 'b', n: i });
			made.a.push(fromA.key);
			made.b.push(fromB.key);
			writes.push(fromA, fromB);
		}
		await Promise.all(writes);

		const all = [...made.a, ...made.b];
		expect(new Set(all).size).toBe(1_000);
		for (const key of all) expect(key).toMatch(PUSH_KEY);
		expect([...made.a].sort()).toEqual(made.a);
		expect([...made.b].sort()).toEqual(made.b);

		const stored = unwrap(server.get('items')) as Record<string, { by: string; n: number }>;
		expect(Object.keys(stored)).toHaveLength(1_000);
		made.a.forEach((key, n) => expect(stored[key]).toEqual({ by: 'a', n }));
		made.b.forEach((key, n) => expect(stored[key]).toEqual({ by: 'b', n }));
	});

	test('push without a value only makes the reference: nothing is written, awaiting it resolves at once', async () => {
		// Not even connected: a write would wait for a connection; this resolves.
		const offline = SocketDBClient();
		const made = offline.get('drafts').push();
		expect(made.key).toMatch(PUSH_KEY);
		await made;

		const { url, server } = await startServer();
		const db = connectClient(url);
		const seen = record(db.get('drafts'));
		const draft = db.get('drafts').push();
		await draft;
		// Writes are applied in the order they were made: once this one is, an earlier one would be too.
		await db.get('after').set(true);
		expect(unwrap(server.get('after'))).toBe(true);
		expect(unwrap(server.get('drafts'))).toBeNull();
		await waitFor(() => seen.values.length >= 1, 'the value of drafts');
		expect(seen.values).toEqual([null]);

		// The reference can be written later under its key.
		await draft.set({ text: 'later' });
		expect(unwrap(server.get('drafts'))).toEqual({ [draft.key]: { text: 'later' } });
	});

	test('push writes its meta with the value', async () => {
		const { url, server } = await startServer();
		const writer = connectClient(url);
		const reader = connectClient(url);
		const messages = record(reader.get('messages'));
		const message = writer.get('messages').push({ text: 'Hi' }, { author: 'ada' });
		await message;
		expect(server.get(message.path)?.meta).toEqual({ author: 'ada' });
		const child = record(reader.get('messages').get(message.key));
		await waitFor(() => child.metas.some((meta) => (meta as { author?: string } | undefined)?.author === 'ada'), 'the meta at the reader');
		expect(child.last()).toEqual({ text: 'Hi' });
		await waitFor(() => messages.values.some((value) => value !== null), 'the message at the reader');
		expect(messages.last()).toEqual({ [message.key]: { text: 'Hi' } });
	});

	test('a push the server refuses rejects like set', async () => {
		const { url, server } = await startServer();
		server.intercept('server:update', () => {
			throw new Error('read-only');
		});
		const db = connectClient(url);
		await expect(db.get('items').push({ n: 1 })).rejects.toMatchObject({ code: 'VETOED' });
	});
});
