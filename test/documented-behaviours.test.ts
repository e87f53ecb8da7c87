import { createStore, MessageType, SocketDBError } from '@socketdb/core';
import { createWebsocketServer, SocketDBServer } from '@socketdb/server';
import { createLmdbStore } from '@socketdb/store-lmdb';
import { afterEach, expect, test, vi } from 'vitest';
import { closeRawSockets, handshake, openRaw } from './helpers/raw';
import { cleanup, connectClient, startServer, waitFor } from './helpers/server';
import { temporaryDirectory } from './helpers/cli';

// Behaviours the docs promise that no other test held to.

afterEach(async () => {
	closeRawSockets();
	await cleanup();
	vi.restoreAllMocks();
});

test('each() subscriptions count toward maxSubscriptionsPerConnection, as on() ones do', async () => {
	const { url, errors: serverErrors } = await startServer({ limits: { maxSubscriptionsPerConnection: 2 } });
	const errors: { code: string; path?: string }[] = [];
	const db = connectClient(url, { plugins: [{ name: 'errors', hooks: { 'client:error': (error) => void errors.push(error) } }] });
	const keys: string[] = [];
	db.get('a').each((_ref, key) => void keys.push(String(key)));
	db.get('b').on(() => undefined);
	db.get('c').each(() => undefined);
	await waitFor(() => errors.length === 1, 'the refusal');
	expect(errors[0]).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', message: expect.stringContaining('"c" was not subscribed') });
	// The first two hold: a key added under a shows.
	await db.get('a').get('x').set(1);
	await waitFor(() => keys.includes('x'), 'the key under a');
	expect(serverErrors.filter((error) => (error as SocketDBError).code !== 'TOO_MANY_SUBSCRIPTIONS')).toEqual([]);
});

test('a connection that never says hello is told goodbye handshake-timeout after 10 seconds', async () => {
	const { url } = await startServer();
	const raw = await openRaw(url);
	const opened = Date.now();
	await waitFor(() => raw.closed() !== undefined, 'the close', 12_000);
	expect(Date.now() - opened).toBeGreaterThanOrEqual(9_900);
	expect(raw.messages).toEqual([{ type: MessageType.GOODBYE, goodbye: { reason: 'handshake-timeout' } }]);
}, 15_000);

test('close() cuts off a peer that does not finish the closing handshake within 2 seconds', async () => {
	const { url, server } = await startServer();
	const raw = await handshake(url);
	// The peer stops reading: it never answers the server's close frame.
	const socket = (raw.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
	socket.pause();
	const started = Date.now();
	await server.close();
	const took = Date.now() - started;
	expect(took).toBeGreaterThanOrEqual(1_900);
	expect(took).toBeLessThan(4_000);
	// Reading again, the peer finds its connection gone.
	socket.resume();
	await waitFor(() => raw.closed() !== undefined, 'the cut');
}, 10_000);

test("a frame above the transport's maxPayload closes the connection (1009), and the server goes on", async () => {
	const { url, server } = await startServer({}, { maxPayload: 1024 });
	const raw = await handshake(url);
	raw.sendBytes(new Uint8Array(4096));
	await waitFor(() => raw.closed() !== undefined, 'the close');
	expect(raw.closed()!.code).toBe(1009);
	const db = connectClient(url);
	await db.get('after').set(1);
	expect(server.get('after')).toEqual({ value: 1 });
});

test('without onError, an error is logged as one line: [socketdb] hook <name>, client <id>: <message>', async () => {
	const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
	const server = SocketDBServer({ socketServer: createWebsocketServer(), updateInterval: 0, keepAliveInterval: 0 });
	server.intercept('server:update', () => {
		throw new Error('refused by the hook');
	});
	await new Promise<void>((resolve) => server.listen(0, resolve, '127.0.0.1'));
	try {
		const db = connectClient(`ws://127.0.0.1:${server.address()!.port}`);
		await expect(db.get('x').set(1)).rejects.toMatchObject({ code: 'VETOED' });
		await waitFor(() => logged.mock.calls.length > 0, 'the line');
		expect(logged.mock.calls).toEqual([[expect.stringMatching(/^\[socketdb\] hook server:update, client \d+: refused by the hook$/)]]);
	} finally {
		await server.close();
	}
});

test('FORBIDDEN and INTERNAL_ERROR do not count toward badRequestsPerMinute: the connection stays', async () => {
	const store = createStore();
	const { url, server, errors: reported } = await startServer({
		limits: { badRequestsPerMinute: 2 },
		// A store that fails for one subtree: its writes are refused INTERNAL_ERROR.
		store: { get: store.get, del: store.del, put: (diff) => (JSON.stringify(diff).includes('broken') ? fail('disk full') : store.put(diff)) },
	});
	server.intercept('server:subscribe', ({ path }) => {
		if (path.startsWith('secret')) throw new SocketDBError('FORBIDDEN', 'not yours');
	});
	const goodbyes: unknown[] = [];
	const errors: { code: string }[] = [];
	const db = connectClient(url, { plugins: [{ name: 'spy', hooks: { 'client:serverDisconnectMessage': (goodbye) => void goodbyes.push(goodbye), 'client:error': (error) => void errors.push(error) } }] });
	const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => db.get('broken').get(String(i)).set(i)));
	expect(outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason?.code)).toEqual(Array(10).fill('INTERNAL_ERROR'));
	for (let i = 0; i < 10; i++) db.get('secret').get(String(i)).on(() => undefined);
	await waitFor(() => errors.filter((error) => error.code === 'FORBIDDEN').length === 10, 'ten refused subscriptions');
	await db.get('fine').set(true);
	expect(goodbyes).toEqual([]);
	expect(server.getClients()).toHaveLength(1);
	// The store's failures were reported, once each.
	expect(reported.filter((error) => error.message === 'disk full')).toHaveLength(10);
});

function fail(message: string): never {
	throw new Error(message);
}

test("a path longer than LMDB's keys is refused with INVALID_PATH through a client, and nothing of it is written", async () => {
	const directory = temporaryDirectory('socketdb-long-key-');
	const store = createLmdbStore({ path: directory.path });
	try {
		const { url, server } = await startServer({ store });
		const db = connectClient(url);
		// 700 characters of three bytes each: under maxPathLength (1,024), over LMDB's 1,978-byte keys.
		const long = '€'.repeat(700);
		await expect(db.get('notes').get(long).set({ text: 'x' })).rejects.toMatchObject({ code: 'INVALID_PATH' });
		await db.get('notes').get('short').set('ok');
		expect(server.get('notes')).toEqual({ value: { short: { value: 'ok' } } });
	} finally {
		await cleanup();
		await store.close?.();
		directory.remove();
	}
});
