import { pack } from 'msgpackr';
import { afterEach, describe, expect, test } from 'vitest';
import { serverTimestamp } from '@socketdb/client';
import { MessageType, nodeify, SocketDBError, unwrap, type Node } from '@socketdb/core';
import { closeRawSockets, handshake } from './helpers/raw';
import { cleanup, connectClient, record, startServer, waitFor } from './helpers/server';

afterEach(async () => {
	closeRawSockets();
	await cleanup();
});

describe('ref.transaction', () => {
	test('10 clients each adding 1 twenty times end at exactly 200 (half of them subscribed, half holding nothing)', async () => {
		const { server, url } = await startServer();
		const dbs = Array.from({ length: 10 }, () => connectClient(url));
		const watchers = dbs.slice(0, 5).map((db) => record(db.get('counter')));
		await waitFor(() => watchers.every((seen) => seen.values.length === 1), 'the subscriptions');
		const results = await Promise.all(
			dbs.map(async (db) => {
				const mine: unknown[] = [];
				for (let i = 0; i < 20; i++) {
					const result = await db.get('counter').transaction((n: number | null) => (n ?? 0) + 1);
					expect(result.committed).toBe(true);
					mine.push(result.value);
				}
				return mine;
			}),
		);
		expect(server.get('counter').value).toBe(200);
		// Every commit saw a different count.
		expect(new Set(results.flat()).size).toBe(200);
	});

	test('update gets a copy of the value the client holds, and its result replaces the value', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ doc: { a: 1, b: 2, nested: { x: 1 } } }));
		const db = connectClient(url);
		const doc = record(db.get('doc'));
		await waitFor(() => doc.values.length === 1, 'the value');
		const seen: unknown[] = [];
		const result = await db.get('doc').transaction((current: { a: number; b?: number; nested: { x: number } } | null) => {
			seen.push(JSON.parse(JSON.stringify(current)));
			current!.a = 10;
			delete current!.b;
			return current;
		});
		expect(seen).toEqual([{ a: 1, b: 2, nested: { x: 1 } }]);
		expect(result).toEqual({ committed: true, value: { a: 10, nested: { x: 1 } } });
		expect(unwrap(server.get('doc') as Node)).toEqual({ a: 10, nested: { x: 1 } });
		// What the subscriber held was not changed by the function.
		expect(doc.values[0]).toEqual({ a: 1, b: 2, nested: { x: 1 } });
	});

	test('a client holding nothing runs update on null, then again on the value the server answers with', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ n: 5 }));
		const db = connectClient(url);
		const calls: unknown[] = [];
		const result = await db.get('n').transaction((n: number | null) => {
			calls.push(n);
			return (n ?? 0) + 1;
		});
		expect(calls).toEqual([null, 5]);
		expect(result).toEqual({ committed: true, value: 6 });
	});

	test('undefined aborts: nothing is sent; null deletes', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ a: 1, b: 2 }));
		const db = connectClient(url);
		const a = record(db.get('a'));
		await waitFor(() => a.values.length === 1, 'the value');
		const before = server.stats().revision;
		expect(await db.get('a').transaction(() => undefined)).toEqual({ committed: false, value: 1 });
		expect(server.stats().revision).toBe(before);
		expect(await db.get('a').transaction(() => null)).toEqual({ committed: true, value: null });
		expect(server.get('a').value).toBeNull();
		expect(server.get('b').value).toBe(2);
	});

	test('an exception in update rejects the promise and sends nothing', async () => {
		const { server, url } = await startServer();
		const db = connectClient(url);
		await db.get('x').set(1);
		const before = server.stats().revision;
		await expect(
			db.get('x').transaction(() => {
				throw new Error('no');
			}),
		).rejects.toThrow('no');
		await db.get('marker').set(1);
		expect(server.stats().revision).toBe(before + 1);
	});

	test('after maxRetries conflicts the promise rejects with CONFLICT and the value the server holds', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ n: 5 }));
		const db = connectClient(url);
		await expect(db.get('n').transaction((n: number | null) => (n ?? 0) + 1, { maxRetries: 0 })).rejects.toMatchObject({ code: 'CONFLICT', details: { value: 5 } });
		expect(server.get('n').value).toBe(5);
	});

	test('hooks decide it like a set: server:update sees the new value, a refusal rejects', async () => {
		const updates: unknown[] = [];
		const { server, url } = await startServer({
			plugins: [
				{
					name: 'guard',
					hooks: {
						'server:update': ({ data }) => {
							updates.push(unwrap(data as Node));
							if ((unwrap(data as Node) as { n?: number }).n === 3) throw new SocketDBError('FORBIDDEN', 'not three');
						},
					},
				},
			],
		});
		const db = connectClient(url);
		const n = record(db.get('n'));
		await waitFor(() => n.values.length === 1, 'the value');
		expect(await db.get('n').transaction(() => 2)).toEqual({ committed: true, value: 2 });
		await waitFor(() => n.last() === 2, 'the commit');
		await expect(db.get('n').transaction(() => 3)).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'not three' });
		expect(updates).toEqual([{ n: 2 }, { n: 3 }]);
		expect(server.get('n').value).toBe(2);
	});

	test('a server value in the result is filled in; the promise has the value committed', async () => {
		const { server, url } = await startServer();
		const db = connectClient(url);
		const before = Date.now();
		const result = await db.get('stamp').transaction(() => ({ at: serverTimestamp(), by: 'me' }));
		expect(result.committed).toBe(true);
		const at = (result.value as { at: number }).at;
		expect(at).toBeGreaterThanOrEqual(before);
		expect(at).toBeLessThanOrEqual(Date.now());
		expect(server.get('stamp/at').value).toBe(at);
	});

	test('malformed transactions over the wire are refused and change nothing', async () => {
		const { server, url } = await startServer();
		const raw = await handshake(url);
		const cases: [unknown[], string][] = [
			[[MessageType.TRANSACTION, 1, '', null, { value: { a: { value: 1 } } }], 'INVALID_PATH'],
			[[MessageType.TRANSACTION, 2, 'a'], 'INVALID_MESSAGE'],
			[[MessageType.TRANSACTION, 3, 'a', null, 5], 'INVALID_MESSAGE'],
			[[MessageType.TRANSACTION, 4, 'a/__proto__', null, { value: 1 }], 'INVALID_PATH'],
			[[MessageType.TRANSACTION, 5, 'a', { bad: Number.NaN }, { value: 1 }], 'INVALID_VALUE'],
			[[MessageType.TRANSACTION, 6, 'a', null, { value: 1, extra: 1 }], 'INVALID_VALUE'],
		];
		for (const [message, code] of cases) {
			const from = raw.messages.length;
			raw.sendBytes(pack(message));
			expect(await raw.next(MessageType.REJECT, from), JSON.stringify(message)).toMatchObject({ seq: message[1], code });
		}
		expect(server.stats().revision).toBe(0);
	});
});
