import { mockSocketClient, SocketDBClient } from '@socketdb/client';
import { mockSocketServer, SocketDBServer } from '@socketdb/server';
import { afterEach, expect, test } from 'vitest';

// SocketDB's test transports, kept by name: a real client and a real server in one process, no network.

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function serve(options: Parameters<typeof mockSocketServer>[0] = {}, port = 0) {
	const errors: Error[] = [];
	const mock = mockSocketServer(options);
	const server = SocketDBServer({ socketServer: mock.socketServer, updateInterval: 0, onError: (error) => errors.push(error) });
	server.listen(port);
	cleanups.push(() => server.close());
	return { ...mock, server, errors, url: `ws://localhost:${mock.socketServer.address()!.port}` };
}

function client(socketClient = mockSocketClient().socketClient) {
	const db = SocketDBClient({ socketClient });
	cleanups.push(() => db.disconnect());
	return db;
}

test('a client reaches the in-process server listening at its URL: writes, subscriptions and hooks as over a socket', async () => {
	const { server, url, errors } = serve({ initializeSession: () => ({ user: 'ada' }) });
	const sessions: unknown[] = [];
	server.intercept('server:update', (_args, { client }) => void sessions.push(client?.context));
	const writer = client();
	const reader = client();
	writer.connect(url);
	reader.connect(url);
	const seen: unknown[] = [];
	reader.get('players').get('1').on((value) => seen.push(value));
	await writer.get('players').get('1').set({ name: 'Ada' });
	await expect.poll(() => seen.at(-1)).toEqual({ name: 'Ada' });
	expect(server.get('players/1/name')).toEqual({ value: 'Ada' });
	expect(sessions).toEqual([{ user: 'ada' }]);
	expect(server.stats().total).toBe(2);
	expect(errors).toEqual([]);
});

test('connectClient() gives a transport bound to its server, whatever the URL', async () => {
	const { connectClient, server } = serve();
	const db = client(connectClient().socketClient);
	db.connect('ws://anywhere.invalid:1');
	await db.get('a').set(1);
	expect(server.get('a')).toEqual({ value: 1 });
});

test('mockSocketClient({ server }) connects to that server whatever the URL', async () => {
	const { socketServer, server } = serve();
	const db = client(mockSocketClient({ server: socketServer }).socketClient);
	db.connect('ws://elsewhere:9');
	await db.get('b').set(2);
	expect(server.get('b')).toEqual({ value: 2 });
});

test('a drop: writes made meanwhile wait in the outbox and land once the client is back; subscriptions resume', async () => {
	const { url, server } = serve();
	const transport = mockSocketClient();
	const db = client(transport.socketClient);
	db.connect(url);
	const states: string[] = [];
	db.onConnectionState((state) => states.push(state));
	const seen: unknown[] = [];
	db.get('count').on((value) => seen.push(value));
	await db.get('count').set(1);
	transport.disconnect();
	const pending = db.get('count').set(2);
	await server.update({ value: { other: { value: true } } });
	await pending;
	expect(server.get('count')).toEqual({ value: 2 });
	await expect.poll(() => seen.at(-1)).toBe(2);
	expect(states).toContain('disconnected');
	expect(states.at(-1)).toBe('connected');
});

test('nothing listens at the URL: the client keeps trying, and connects once a server listens there', async () => {
	const port = 50_999;
	const db = client();
	db.connect(`ws://localhost:${port}`);
	const written = db.get('late').set(true);
	await new Promise((resolve) => setTimeout(resolve, 120));
	const { server } = serve({}, port);
	await written;
	expect(server.get('late')).toEqual({ value: true });
});

test('server.close() says goodbye to in-process clients and frees the port', async () => {
	const { server, url, socketServer } = serve();
	const db = client();
	db.connect(url);
	await db.get('x').set(1);
	const goodbyes: unknown[] = [];
	db.intercept('client:disconnect', () => void goodbyes.push('disconnected'));
	await server.close();
	await expect.poll(() => goodbyes.length).toBe(1);
	expect(socketServer.address()).toBeNull();
	// The port is free for another server.
	const again = serve({}, Number(new URL(url).port));
	await db.get('x').set(2);
	expect(again.server.get('x')).toEqual({ value: 2 });
});
