import { pack } from 'msgpackr';
import { afterEach, describe, expect, test } from 'vitest';
import { increment, serverTimestamp } from '@socketdb/client';
import { MessageType, nodeify, unwrap, type Node } from '@socketdb/core';
import { closeRawSockets, handshake } from './helpers/raw';
import { cleanup, connectClient, record, sleep, startServer, waitFor } from './helpers/server';

afterEach(async () => {
	closeRawSockets();
	await cleanup();
});

/** `clients` clients, each adding 1 `times` times, one write after the other, all at once. */
async function countTogether(url: string, clients: number, times: number): Promise<void> {
	const dbs = Array.from({ length: clients }, () => connectClient(url));
	await Promise.all(
		dbs.map(async (db) => {
			for (let i = 0; i < times; i++) await db.get('counter').set(increment(1));
		}),
	);
}

describe('increment(delta)', () => {
	test('10 clients adding 1 twenty times each end at exactly 200', async () => {
		const { server, url } = await startServer();
		await countTogether(url, 10, 20);
		expect(server.get('counter').value).toBe(200);
	});

	test('stays exact when a slow server:update hook runs between a write arriving and its apply', async () => {
		const seen: unknown[] = [];
		const { server, url } = await startServer({
			plugins: [
				{
					name: 'slow',
					hooks: {
						'server:update': async ({ data }) => {
							seen.push(unwrap(data as Node));
							await sleep(Math.random() * 3);
						},
					},
				},
			],
		});
		await countTogether(url, 10, 20);
		expect(server.get('counter').value).toBe(200);
		// Hooks see numbers, never the placeholder.
		expect(seen.every((data) => typeof (data as { counter: unknown }).counter === 'number')).toBe(true);
	});

	test('a path without a number gets the delta; deltas may be negative or fractional; subscribers see numbers', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ text: 'abc', obj: { x: 1 } }));
		const db = connectClient(url);
		const seen = record(db.get('score'));
		await waitFor(() => seen.values.length === 1, 'the first value');
		await db.get('score').set(increment(5));
		await db.get('score').set(increment(-1.5));
		await db.get('text').set(increment(2));
		await db.update({ 'fresh/n': increment(3) });
		expect(server.get('score').value).toBe(3.5);
		expect(server.get('text').value).toBe(2);
		expect(server.get('fresh/n').value).toBe(3);
		await waitFor(() => seen.last() === 3.5, 'the subscriber');
		expect(seen.values).toEqual([null, 5, 3.5]);
	});

	test('a server:update hook that writes another value where an increment was: its value stands', async () => {
		const { server, url } = await startServer({
			plugins: [{ name: 'cap', hooks: { 'server:update': ({ data }) => (unwrap(data as Node) as { n?: number }).n! > 2 ? { data: nodeify({ n: 2 }) } : undefined } }],
		});
		const db = connectClient(url);
		for (let i = 0; i < 5; i++) await db.get('n').set(increment(1));
		expect(server.get('n').value).toBe(2);
	});

	test('in server.update as well', async () => {
		const { server } = await startServer();
		await server.update(nodeify({ n: increment(4) as never }));
		await server.update(nodeify({ n: increment(4) as never }));
		expect(server.get('n').value).toBe(8);
	});
});

describe('serverTimestamp()', () => {
	test("is the server's clock when it applies the write, in set, update and nested values", async () => {
		const { server, url } = await startServer();
		const db = connectClient(url);
		const before = Date.now();
		await db.get('a').set(serverTimestamp());
		await db.get('b').set({ at: serverTimestamp(), by: 'me' });
		await db.update({ 'c/at': serverTimestamp() });
		const after = Date.now();
		for (const path of ['a', 'b/at', 'c/at']) {
			const value = server.get(path).value as number;
			expect(value).toBeGreaterThanOrEqual(before);
			expect(value).toBeLessThanOrEqual(after);
		}
		expect(server.get('b/by').value).toBe('me');
	});

	test("with meta, the meta stays with the value", async () => {
		const { server, url } = await startServer();
		const db = connectClient(url);
		await db.get('t').set(serverTimestamp(), { source: 'clock' });
		expect(server.get('t').meta).toEqual({ source: 'clock' });
		expect(typeof server.get('t').value).toBe('number');
	});
});

describe('placeholders where they make no sense', () => {
	test('are refused with INVALID_VALUE, and nothing is written', async () => {
		const { server, url } = await startServer();
		const db = connectClient(url);
		await expect(db.get('a').set(increment('1' as never))).rejects.toMatchObject({ code: 'INVALID_VALUE' });
		await expect(db.get('a').set(increment(Number.NaN))).rejects.toMatchObject({ code: 'INVALID_VALUE' });
		await expect(db.get('a').set(1, { at: serverTimestamp() })).rejects.toMatchObject({ code: 'INVALID_VALUE' });
		await expect(db.get('a').set([increment(1)] as never)).rejects.toMatchObject({ code: 'INVALID_VALUE' });
		await expect(db.set(increment(1) as never)).rejects.toMatchObject({ code: 'INVALID_VALUE' });
		expect(() => db.get(increment(1) as never)).toThrow(expect.objectContaining({ code: 'INVALID_VALUE' }));
		expect(() => ({ [increment(1) as never]: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_VALUE' }));
		await db.get('b').set(1);
		expect(unwrap(server.get(''))).toEqual({ b: 1 });
	});

	test('a server value the client protocol does not know is refused over the wire', async () => {
		const { server, url } = await startServer();
		const raw = await handshake(url);
		const cases: [unknown[], string][] = [
			[[MessageType.SET, 1, 'a', { sv: 'now' }], 'INVALID_VALUE'],
			[[MessageType.SET, 2, 'a', { sv: { increment: '1' } }], 'INVALID_VALUE'],
			[[MessageType.SET, 3, 'a', { sv: { increment: 1, extra: 2 } }], 'INVALID_VALUE'],
			[[MessageType.SET, 4, 'a', { sv: 'timestamp', value: 1 }], 'INVALID_VALUE'],
			[[MessageType.SET, 5, '', { sv: 'timestamp' }], 'INVALID_VALUE'],
			[[MessageType.SET, 6, 'a', { value: { b: { sv: { increment: null } } } }], 'INVALID_VALUE'],
			[[MessageType.SET, 7, 'a', { value: 1, meta: { sv: 'timestamp', nested: { sv: 1 } } }], 'ACK'],
		];
		for (const [message, code] of cases) {
			const from = raw.messages.length;
			raw.sendBytes(pack(message));
			if (code === 'ACK') expect(await raw.next(MessageType.ACK, from)).toMatchObject({ seq: message[1] });
			else expect(await raw.next(MessageType.REJECT, from), JSON.stringify(message)).toMatchObject({ seq: message[1], code });
		}
		// Meta is data: an `sv` key there is kept as it is.
		expect(server.get('a')).toEqual({ value: 1, meta: { sv: 'timestamp', nested: { sv: 1 } } });
		expect(server.stats().revision).toBe(1);
	});
});
