import { pack } from 'msgpackr';
import { afterEach, describe, expect, test } from 'vitest';
import { MessageType, nodeify, SocketDBError, type Node } from '@socketdb/core';
import { closeRawSockets, handshake } from './helpers/raw';
import { cleanup, connectClient, record, startServer, waitFor } from './helpers/server';

afterEach(async () => {
	closeRawSockets();
	await cleanup();
});

const plain = (node: Node) => JSON.parse(JSON.stringify(node)) as unknown;

describe('ref.update', () => {
	test('writes several paths below the reference as one change: one revision, seen whole by subscribers', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ users: { 42: { name: 'Ada', nickname: 'A', address: { city: 'Paris', zip: '75001' } } } }));
		const db = connectClient(url);
		const user = record(db.get('users').get('42'));
		await waitFor(() => user.values.length === 1, 'the first value');
		const before = server.stats().revision;

		await db.get('users').get('42').update({ name: 'Ada L.', 'address/city': 'London', nickname: null, 'tags/first': true });

		expect(server.stats().revision).toBe(before + 1);
		await waitFor(() => user.values.length === 2, 'the update');
		expect(user.last()).toEqual({ name: 'Ada L.', address: { city: 'London', zip: '75001' }, tags: { first: true } });
		expect(plain(server.get('users/42'))).toEqual(plain(nodeify({ name: 'Ada L.', address: { city: 'London', zip: '75001' }, tags: { first: true } })));
	});

	test('from the root, with meta on every value written', async () => {
		const { server, url } = await startServer();
		const db = connectClient(url);
		await db.update({ 'a/b': 1, c: { d: 2 } }, { by: 'me' });
		expect(server.get('a/b').meta).toEqual({ by: 'me' });
		expect(server.get('c').meta).toEqual({ by: 'me' });
		expect(server.get('c/d').value).toBe(2);
	});

	test("server:update sees the values as one root-anchored node in one call, server:delete each deleted path; the hooks' changes are applied", async () => {
		const updates: unknown[] = [];
		const deletes: string[] = [];
		const { server, url } = await startServer({
			plugins: [
				{
					name: 'spy',
					hooks: {
						'server:update': ({ data }) => {
							updates.push(plain(data));
							return { data: { value: { ...(data.value as object), stamped: { value: true } } } as Node };
						},
						'server:delete': ({ path }) => void deletes.push(path),
					},
				},
			],
		});
		await server.update(nodeify({ room: { title: 'old', draft: 'x', typing: { ada: true } } }));
		updates.length = 0;
		const db = connectClient(url);
		await db.get('room').update({ title: 'new', draft: null, 'typing/ada': null, 'members/ada': 1 });
		expect(updates).toEqual([plain(nodeify({ room: { title: 'new', members: { ada: 1 } } }))]);
		expect(deletes.sort()).toEqual(['room/draft', 'room/typing/ada']);
		expect(plain(server.get('room'))).toEqual(plain(nodeify({ title: 'new', typing: {}, members: { ada: 1 } })));
		expect(server.get('stamped').value).toBe(true);
	});

	test('a refusal of any path refuses the whole update: nothing is applied and the promise rejects with the reason', async () => {
		const { server, url } = await startServer({
			plugins: [
				{
					name: 'guard',
					hooks: {
						'server:delete': ({ path }) => {
							if (path === 'doc/locked') throw new SocketDBError('FORBIDDEN', 'locked stays');
						},
						'server:update': ({ data }) => {
							if (JSON.stringify(data).includes('"evil"')) throw new Error('no evil');
						},
					},
				},
			],
		});
		await server.update(nodeify({ doc: { locked: 1, open: 2 } }));
		const before = server.stats().revision;
		const db = connectClient(url);
		const doc = record(db.get('doc'));
		await waitFor(() => doc.values.length === 1, 'the first value');

		await expect(db.get('doc').update({ open: 3, locked: null })).rejects.toMatchObject({ name: 'SocketDBError', code: 'FORBIDDEN', message: 'locked stays' });
		await expect(db.get('doc').update({ open: null, name: 'evil' })).rejects.toMatchObject({ code: 'VETOED', message: 'no evil' });
		// A later write proves the refused ones would have arrived by now.
		await db.get('marker').set(1);
		expect(server.stats().revision).toBe(before + 1);
		expect(plain(server.get('doc'))).toEqual(plain(nodeify({ locked: 1, open: 2 })));
		// Each update showed at once and was taken back when the server refused it.
		expect(doc.values).toEqual([{ locked: 1, open: 2 }, { open: 3 }, { locked: 1, open: 2 }, { locked: 1, name: 'evil' }, { locked: 1, open: 2 }]);
	});

	test('paths where one lies at or below another, undefined values, and non-objects are refused at once, sending nothing', async () => {
		const { server, url } = await startServer();
		const db = connectClient(url);
		await expect(db.get('a').update({ b: 1, 'b/c': 2 })).rejects.toMatchObject({ code: 'INVALID_PATH' });
		await expect(db.get('a').update({ 'b/c': 1, '/b/c/': 2 })).rejects.toMatchObject({ code: 'INVALID_PATH' });
		await expect(db.get('a').update({ b: undefined })).rejects.toMatchObject({ code: 'INVALID_VALUE' });
		await expect(db.get('a').update([1, 2] as never)).rejects.toMatchObject({ code: 'INVALID_VALUE' });
		await expect(db.get('a').update({ '': 1 })).rejects.toMatchObject({ code: 'INVALID_PATH' });
		await expect(db.get('a').update({ 'b/__proto__/c': 1 })).rejects.toMatchObject({ code: 'INVALID_PATH' });
		// Siblings whose names share a beginning are not nested.
		await db.get('a').update({ b: 1, 'b-c': 2, 'bc/d': 3 });
		expect(plain(server.get('a'))).toEqual(plain(nodeify({ b: 1, 'b-c': 2, bc: { d: 3 } })));
		expect(server.stats().revision).toBe(1);
	});

	test("client hooks see each path as a set or a delete; one that throws drops the whole update", async () => {
		const { server, url } = await startServer();
		const db = connectClient(url);
		const seen: string[] = [];
		db.intercept('client:set', ({ path, value, meta }) => {
			seen.push(`set ${path}`);
			return { path, value, meta: { ...meta, client: true } };
		});
		db.intercept('client:delete', ({ path }) => {
			seen.push(`delete ${path}`);
			if (path === 'p/keep') throw new Error('keep is kept');
		});
		await db.get('p').update({ x: 1, y: null });
		expect(seen).toEqual(['set p/x', 'delete p/y']);
		expect(server.get('p/x')).toEqual({ value: 1, meta: { client: true } });
		await expect(db.get('p').update({ z: 1, keep: null })).rejects.toMatchObject({ code: 'VETOED', message: 'keep is kept' });
		await db.get('marker').set(1);
		expect(server.get('p/z').value).toBeNull();
	});

	test('an update nobody awaits that the server refuses reaches client:error', async () => {
		const { url } = await startServer({
			plugins: [{ name: 'no', hooks: { 'server:update': () => { throw new SocketDBError('FORBIDDEN', 'read only'); } } }],
		});
		const db = connectClient(url);
		const errors: string[] = [];
		db.intercept('client:error', ({ code }) => void errors.push(code));
		void db.update({ a: 1 });
		await waitFor(() => errors.length === 1, 'the reported refusal');
		expect(errors).toEqual(['FORBIDDEN']);
	});

	test('bad UPDATE messages are refused with a clear error and change nothing', async () => {
		const { server, url } = await startServer({ limits: { maxKeysPerWrite: 3 } });
		const raw = await handshake(url);
		const cases: [unknown[], string][] = [
			[[MessageType.UPDATE, 1, '', null, 'a'], 'INVALID_MESSAGE'],
			[[MessageType.UPDATE, 2, '', null, [1]], 'INVALID_MESSAGE'],
			[[MessageType.UPDATE, 3, '', 'x', []], 'INVALID_MESSAGE'],
			[[MessageType.UPDATE, 4, 'a', null, ['']], 'INVALID_PATH'],
			[[MessageType.UPDATE, 5, 'a', null, ['/']], 'INVALID_PATH'],
			[[MessageType.UPDATE, 6, '', null, ['__proto__/x']], 'INVALID_PATH'],
			[[MessageType.UPDATE, 7, '', null, ['a', 'b', 'c', 'd']], 'TOO_MANY_KEYS'],
			[[MessageType.UPDATE, 8, '', { value: { a: { value: 1 }, b: { value: 2 } } }, ['c', 'd']], 'TOO_MANY_KEYS'],
			[[MessageType.UPDATE, 9, '', { value: 5 }, []], 'INVALID_VALUE'],
		];
		for (const [message, code] of cases) {
			const from = raw.messages.length;
			raw.sendBytes(pack(message));
			expect(await raw.next(MessageType.REJECT, from), JSON.stringify(message)).toMatchObject({ seq: message[1], code });
		}
		expect(server.stats().revision).toBe(0);
		expect(plain(server.get(''))).toEqual({ value: {} });
	});
});
