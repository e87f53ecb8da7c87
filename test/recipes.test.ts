import { afterEach, expect, test } from 'vitest';
import { nodeify } from '@socketdb/core';
import type { SocketDBClientAPI } from '@socketdb/client';
import type { ServerPlugin, SessionContext } from '@socketdb/server';
import { importCodeBlock } from './helpers/docs';
import { cleanup, connectClient, record, sameJson, startServer, waitFor } from './helpers/server';
import { closeTcpProxies, startTcpProxy } from './helpers/tcp-proxy';

// The authorization recipes of the docs, run as they are written, against the bypasses that
// broke their earlier versions.

afterEach(async () => {
	await cleanup();
	await closeTcpProxies();
});

/** How each settled write ended: 'ok' or its error code. */
async function outcomes(writes: PromiseLike<unknown>[]): Promise<string[]> {
	const settled = await Promise.allSettled(writes);
	return settled.map((outcome) => (outcome.status === 'fulfilled' ? 'ok' : (outcome.reason as { code: string }).code));
}

const USERS = { users: { 42: { name: 'Ada' }, 43: { name: 'Grace' }, 420: { name: 'Linus' } }, config: { mode: 'safe' } };

test("docs/authentication.md's owner-only recipe: a user edits and deletes only their own data, never others', the parent or the root", async () => {
	const { ownerOnly } = await importCodeBlock<{ ownerOnly: ServerPlugin }>('docs/authentication.md', 'Recipe: each user edits only their own data', 'owner-only');
	const { server, url } = await startServer(
		{ plugins: [ownerOnly] },
		{ initializeSession: ({ req }) => ({ user: { id: new URL(req.url!, 'http://x').searchParams.get('user') } }) as SessionContext },
	);
	await server.update(nodeify(USERS));
	const ada = connectClient(`${url}/?user=42`);
	expect(
		await outcomes([
			ada.get('users/43/name').set('Ada was here'),
			ada.get('users/420').set({ name: 'Ada' }),
			ada.get('users').set({ 42: { name: 'A' }, 43: { name: 'A' } }),
			ada.get('users').set('nobody'),
			ada.get('users').set({}, { owner: '42' }),
			ada.set({}, { owner: '42' }),
			ada.get('config/mode').set('unsafe'),
			ada.get('users/43').delete(),
			ada.get('users/420').delete(),
			ada.get('users').delete(),
			ada.delete(),
			ada.get('config').delete(),
		]),
	).toEqual(Array(12).fill('VETOED'));
	expect(server.get('').value).toEqual(nodeify(USERS).value);
	// What is hers works.
	expect(await outcomes([ada.get('users/42/name').set('Ada L.'), ada.get('users/42').set({ born: 1815 }, { by: '42' })])).toEqual(['ok', 'ok']);
	expect(await outcomes([ada.get('users/42/born').delete(), ada.get('users/42').delete()])).toEqual(['ok', 'ok']);
	expect(server.get('users/43/name').value).toBe('Grace');
});

test("docs/plugins.md's read-only config recipe: config can be neither written nor deleted, through the root neither", async () => {
	const { readOnlyConfig } = await importCodeBlock<{ readOnlyConfig: ServerPlugin }>('docs/plugins.md', 'Recipe: a read-only `config`', 'read-only-config');
	const { server, url } = await startServer({ plugins: [readOnlyConfig] });
	await server.update(nodeify(USERS));
	const db = connectClient(url);
	expect(
		await outcomes([db.get('config/mode').set('unsafe'), db.set({ config: { mode: 'unsafe' } } as never), db.get('config').set({}, { by: 'me' }), db.get('config/mode').delete(), db.get('config').delete(), db.delete()]),
	).toEqual(Array(6).fill('VETOED'));
	expect(server.get('config').value).toEqual({ mode: { value: 'safe' } });
	// Other data, even with a similar name, stays writable; the server itself may change config.
	expect(await outcomes([db.get('configuration').set(1), db.get('configuration').delete(), db.get('users/43').delete()])).toEqual(['ok', 'ok', 'ok']);
	await server.update(nodeify({ config: { mode: 'maintenance' } }));
	expect(server.get('config/mode').value).toBe('maintenance');
});

test("docs/client.md's presence recipe: a client is online while connected, offline once its connection ends however it ends, online again when it is back", async () => {
	const { trackPresence } = await importCodeBlock<{ trackPresence: (db: SocketDBClientAPI, id: string) => () => Promise<void> }>('docs/client.md', 'Recipe: who is online', 'presence');
	const { server, url, port, errors } = await startServer();
	const proxy = await startTcpProxy(() => [port]);
	const status = record(connectClient(url).get('status'));
	const shows = (expected: unknown) => waitFor(() => sameJson(status.last(), expected), JSON.stringify(expected));
	const ada = connectClient(`ws://127.0.0.1:${proxy.port}`);
	const grace = connectClient(url);
	trackPresence(ada, 'ada');
	const stopGrace = trackPresence(grace, 'grace');
	await shows({ ada: 'online', grace: 'online' });

	ada.disconnect();
	await shows({ ada: 'offline', grace: 'online' });
	ada.connect(`ws://127.0.0.1:${proxy.port}`);
	await shows({ ada: 'online', grace: 'online' });
	// A dropped network: offline, and online again once the client is back.
	proxy.reset();
	await shows({ ada: 'offline', grace: 'online' });
	await shows({ ada: 'online', grace: 'online' });

	await stopGrace();
	await shows({ ada: 'online', grace: 'offline' });
	// Stopped: neither a drop nor a reconnect changes it any more.
	const back = new Promise<void>((resolve) => grace.intercept('client:reconnect', () => resolve()));
	grace.disconnect();
	grace.connect(url);
	await back;
	await grace.get('barrier').set(1);
	expect(server.get('status/grace').value).toBe('offline');
	expect(server.get('status/ada').value).toBe('online');
	expect(errors).toEqual([]);
});
