import { createStore } from '@socketdb/core';
import { expect, test } from 'vitest';
import { cleanup, connectClient, startServer } from './helpers/server';

// The integration helper fails a test whose server reported a failure no client caused, unless
// the test looked at the server's errors: an unexpected server-side exception cannot pass silently.

test('a server failure the test never looked at fails it at cleanup; refusals of requests do not', async () => {
	const store = createStore();
	const { url, server } = await startServer({ store: { get: store.get, del: store.del, put: (diff) => (JSON.stringify(diff).includes('boom') ? fail() : store.put(diff)) } });
	server.intercept('server:update', ({ data }) => {
		if (JSON.stringify(data).includes('vetoed')) throw new Error('no');
	});
	const db = connectClient(url);
	await expect(db.get('vetoed').set(1)).rejects.toMatchObject({ code: 'VETOED' });
	await expect(db.get('boom').set(1)).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
	await expect(cleanup()).rejects.toThrow(/the server reported failures this test never looked at:\n {2}Error: the disk failed$/);
});

test('a test that read the errors takes charge of them', async () => {
	const store = createStore();
	const started = await startServer({ store: { get: store.get, del: store.del, put: () => fail() } });
	await expect(connectClient(started.url).get('x').set(1)).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
	expect(started.errors.map((error) => error.message)).toEqual(['the disk failed']);
	await cleanup();
});

function fail(): never {
	throw new Error('the disk failed');
}
