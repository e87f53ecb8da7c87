import { afterEach, expect, test } from 'vitest';
import { SocketDBClient, createWebsocketClient, type ConnectionState, type SocketDBClientAPI } from '@socketdb/client';
import { closeTcpProxies, startTcpProxy } from './helpers/tcp-proxy';
import { cleanup, sleep, startServer, waitFor } from './helpers/server';

const clients: SocketDBClientAPI[] = [];

afterEach(async () => {
	for (const client of clients.splice(0)) client.disconnect();
	await closeTcpProxies();
	await cleanup();
});

/** A client that is not connected yet, reconnecting quickly after a drop. */
function newClient(): SocketDBClientAPI {
	const db = SocketDBClient({ socketClient: createWebsocketClient({ reconnectTimeout: 200 }) });
	clients.push(db);
	return db;
}

/** Every state a client reports, from the call on. */
function watch(db: SocketDBClientAPI) {
	const states: ConnectionState[] = [];
	const stop = db.onConnectionState((state) => states.push(state));
	return { states, stop, last: () => states[states.length - 1] };
}

test('disconnected before connect, connecting from connect(), connected after the handshake, disconnected after disconnect()', async () => {
	const { url } = await startServer();
	const db = newClient();
	const seen = watch(db);
	expect(seen.states).toEqual(['disconnected']);
	db.connect(url);
	expect(seen.states).toEqual(['disconnected', 'connecting']);
	await waitFor(() => seen.last() === 'connected', 'connected');
	expect(seen.states).toEqual(['disconnected', 'connecting', 'connected']);

	// A callback added later gets the current state at once.
	const later = watch(db);
	expect(later.states).toEqual(['connected']);

	db.disconnect();
	expect(seen.states).toEqual(['disconnected', 'connecting', 'connected', 'disconnected']);
	await sleep(300);
	expect(seen.states).toEqual(['disconnected', 'connecting', 'connected', 'disconnected']);
	expect(later.states).toEqual(['connected', 'disconnected']);

	// connect() again starts over.
	db.connect(url);
	await waitFor(() => seen.last() === 'connected', 'connected again');
	expect(seen.states.slice(4)).toEqual(['connecting', 'connected']);
});

test('writes flow once connected is reported', async () => {
	const { url, server } = await startServer();
	const db = newClient();
	let written: Promise<void> | undefined;
	db.onConnectionState((state) => {
		if (state === 'connected') written ??= Promise.resolve(db.get('greeting').set('hello'));
	});
	db.connect(url);
	await waitFor(() => written !== undefined, 'connected');
	await written;
	expect(server.get('greeting')?.value).toBe('hello');
});

test('a dropped connection: disconnected while the network is down, connecting when a socket opens again, then connected', async () => {
	const { port } = await startServer();
	const proxy = await startTcpProxy(() => [port]);
	const db = newClient();
	const seen = watch(db);
	db.connect(`ws://127.0.0.1:${proxy.port}`);
	await waitFor(() => seen.last() === 'connected', 'connected');
	seen.states.length = 0;

	proxy.cut();
	await waitFor(() => seen.last() === 'disconnected', 'disconnected');
	// The transport keeps trying; two attempts that get no socket open change nothing.
	const refused = proxy.refused;
	await waitFor(() => proxy.refused >= refused + 2, 'two refused attempts');
	expect(seen.states).toEqual(['disconnected']);

	proxy.heal();
	await waitFor(() => seen.last() === 'connected', 'connected again');
	expect(seen.states).toEqual(['disconnected', 'connecting', 'connected']);

	// Once more, to see it does not depend on being the first reconnect.
	proxy.reset();
	await waitFor(() => seen.states.length === 6, 'a second reconnect');
	expect(seen.states).toEqual(['disconnected', 'connecting', 'connected', 'disconnected', 'connecting', 'connected']);
});

test('connecting lasts from connect() until the first handshake, however many attempts fail', async () => {
	const { port } = await startServer();
	const proxy = await startTcpProxy(() => [port]);
	proxy.cut();
	const db = newClient();
	const seen = watch(db);
	db.connect(`ws://127.0.0.1:${proxy.port}`);
	await waitFor(() => proxy.refused >= 2, 'two refused attempts');
	expect(seen.states).toEqual(['disconnected', 'connecting']);
	proxy.heal();
	await waitFor(() => seen.last() === 'connected', 'connected');
	expect(seen.states).toEqual(['disconnected', 'connecting', 'connected']);
});

test('a server that shuts down: disconnected, and it stays so while nothing answers', async () => {
	const { url, close } = await startServer();
	const db = newClient();
	const seen = watch(db);
	db.connect(url);
	await waitFor(() => seen.last() === 'connected', 'connected');
	await close();
	await waitFor(() => seen.last() === 'disconnected', 'disconnected');
	await sleep(400);
	expect(seen.states).toEqual(['disconnected', 'connecting', 'connected', 'disconnected']);
});

test('unsubscribing stops the calls, for that callback only', async () => {
	const { url } = await startServer();
	const db = newClient();
	const stopped = watch(db);
	const kept = watch(db);
	db.connect(url);
	stopped.stop();
	stopped.stop();
	await waitFor(() => kept.last() === 'connected', 'connected');
	db.disconnect();
	expect(stopped.states).toEqual(['disconnected', 'connecting']);
	expect(kept.states).toEqual(['disconnected', 'connecting', 'connected', 'disconnected']);
});
