import { afterEach, expect, test } from 'vitest';
import { SocketDBClient, createWebsocketClient, type ConnectionState, type SocketDBClientAPI } from '@socketdb/client';
import { closeTcpProxies, startTcpProxy } from './helpers/tcp-proxy';
import { cleanup, startConnectionDropper, startServer, waitFor, type TestServer } from './helpers/server';

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

/**
 * Waits while another client, sent away by the server, comes back: a client that were to reconnect
 * (or change state) by itself would have done so by then, however slow the machine.
 */
async function comebackOfAnotherClient(server: TestServer): Promise<void> {
	const before = new Set(server.server.getClients().map((client) => client.id));
	const marker = newClient();
	const seen = watch(marker);
	marker.connect(server.url);
	await waitFor(() => seen.last() === 'connected', 'another client connected');
	server.server
		.getClients()
		.find((client) => !before.has(client.id))!
		.close();
	await waitFor(() => seen.states.filter((state) => state === 'connected').length === 2, 'the other client back');
	marker.disconnect();
}

test('disconnected before connect, connecting from connect(), connected after the handshake, disconnected after disconnect()', async () => {
	const server = await startServer();
	const { url } = server;
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
	await comebackOfAnotherClient(server);
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
	const { url, port, close } = await startServer();
	const db = newClient();
	const seen = watch(db);
	db.connect(url);
	await waitFor(() => seen.last() === 'connected', 'connected');
	await close();
	await waitFor(() => seen.last() === 'disconnected', 'disconnected');
	// Something on the port that accepts every connection and drops it at once: the client's tries are counted.
	const dropper = await startConnectionDropper(port);
	try {
		await waitFor(() => dropper.attempts() >= 2, 'two more tries of the client', 10_000);
	} finally {
		await dropper.close();
	}
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
