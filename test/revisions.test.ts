import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { MessageType, nodeify } from '@socketdb/core';
import { createLmdbStore } from '@socketdb/store-lmdb';
import { closeRawSockets, handshake } from './helpers/raw';
import { cleanup, connectClient, startServer } from './helpers/server';

afterEach(async () => {
	closeRawSockets();
	await cleanup();
});

test('every committed change takes the next revision; snapshots and updates say how recent they are', async () => {
	const { server, url } = await startServer();
	expect(server.stats().revision).toBe(0);
	await server.update(nodeify({ a: 1 }));
	const raw = await handshake(url);
	raw.send({ type: MessageType.SUBSCRIBE, path: 'a' });
	expect(await raw.next(MessageType.SNAPSHOT, 0)).toMatchObject({ path: 'a', rev: 1 });
	const db = connectClient(url);
	await db.get('a').set(2);
	await db.get('b').set(1);
	// A write that changes nothing takes no revision.
	await db.get('b').set(1);
	await db.get('a').delete();
	expect(server.stats().revision).toBe(4);
	await expect.poll(() => raw.messages.filter((message) => message.type === MessageType.DATA).map((message) => (message as { rev: number }).rev)).toEqual([2, 4]);
});

test('the LMDB store keeps the revision with its data across a restart', async () => {
	const directory = mkdtempSync(join(tmpdir(), 'socketdb-revisions-'));
	try {
		let store = createLmdbStore({ path: directory });
		let { server } = await startServer({ store });
		await server.update(nodeify({ a: 1 }));
		await server.update(nodeify({ b: 2 }));
		await server.delete('a');
		expect(server.stats().revision).toBe(3);
		await server.close();
		await store.close();

		store = createLmdbStore({ path: directory });
		({ server } = await startServer({ store }));
		expect(server.stats().revision).toBe(3);
		await server.update(nodeify({ c: 3 }));
		expect(server.stats().revision).toBe(4);
		await server.close();
		await store.close();
	} finally {
		rmSync(directory, { recursive: true, force: true });
	}
});
