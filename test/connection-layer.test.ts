import type { ConnectionStats } from '@socketdb/core';
import { MessageType } from '@socketdb/core';
import type { ClientErrorEvent } from '@socketdb/client';
import type { Client } from '@socketdb/server';
import { afterEach, describe, expect, test } from 'vitest';
import { closeRawSockets, handshake } from './helpers/raw';
import { cleanup, connectClient, settle, sleep, startServer, waitFor } from './helpers/server';

afterEach(async () => {
	closeRawSockets();
	await cleanup();
});

const quiet = { name: 'quiet', hooks: { 'client:error': () => undefined } };

describe('client identity: version, route and ip', () => {
	test("'server:clientConnect' sees the version, the route and the ip already set", async () => {
		const connects: { id: string; version: unknown; route: unknown; ip: unknown }[] = [];
		const { url, server } = await startServer({
			routeTracking: true,
			ipTracking: true,
			plugins: [{ name: 'spy', hooks: { 'server:clientConnect': ({ id }, { client }) => void connects.push({ id, version: client.version, route: client.route, ip: client.ip }) } }],
		});
		const db = connectClient(url, { version: '1.4.2' });
		db.trackRoute('/dashboard');
		await waitFor(() => connects.length === 1, 'the connect hook');
		expect(connects[0]).toMatchObject({ version: '1.4.2', route: '/dashboard', ip: '127.0.0.1' });
		const client = server.getClient(connects[0]!.id)!;
		expect([client.version, client.route, client.ip]).toEqual(['1.4.2', '/dashboard', '127.0.0.1']);
	});

	test('a route at the hello is kept up to maxPathLength characters; a longer one is not', async () => {
		const { url, server } = await startServer({ routeTracking: true, limits: { maxPathLength: 16 } });
		const routes: unknown[] = [];
		for (const route of ['/'.padEnd(16, 'a'), '/'.padEnd(17, 'a')]) {
			const raw = await handshake(url, {}, { route });
			const welcome = raw.messages.find((message) => message.type === MessageType.WELCOME)!;
			routes.push(server.getClient((welcome as { id: string }).id)!.route);
		}
		expect(routes).toEqual(['/'.padEnd(16, 'a'), undefined]);
	});

	test('without routeTracking and ipTracking the server keeps neither', async () => {
		const { url, server } = await startServer();
		const db = connectClient(url, { version: '2.0.0' });
		db.trackRoute('/somewhere');
		await db.get('x').set(1);
		const [client] = server.getClients();
		expect([client!.version, client!.route, client!.ip]).toEqual(['2.0.0', undefined, undefined]);
		expect(server.stats()).toEqual({ total: 1, versions: { '2.0.0': 1 }, routes: {}, revision: expect.any(Number) });
	});

	test('the ip is the socket peer, or the first X-Forwarded-For hop with trustProxy', async () => {
		const headers = { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' };
		const trusting = await startServer({ ipTracking: true, trustProxy: true });
		await handshake(trusting.url, headers);
		expect(trusting.server.getClients().map((client) => client.ip)).toEqual(['203.0.113.7']);
		const wary = await startServer({ ipTracking: true });
		await handshake(wary.url, headers);
		expect(wary.server.getClients().map((client) => client.ip)).toEqual(['127.0.0.1']);
	});

	test("trackRoute runs 'server:routeUpdate' with {id, route}; client.route follows", async () => {
		const updates: { id: string; route: string; seen: unknown }[] = [];
		const { url, server } = await startServer({
			routeTracking: true,
			plugins: [{ name: 'routes', hooks: { 'server:routeUpdate': ({ id, route }, { client }) => void updates.push({ id, route, seen: client.route }) } }],
		});
		const db = connectClient(url);
		await db.get('x').set(1);
		const [client] = server.getClients();
		expect(client!.route).toBeUndefined();
		db.trackRoute('/a');
		db.trackRoute('/a');
		await waitFor(() => updates.length === 1, 'the first route update');
		db.trackRoute('/b');
		await waitFor(() => updates.length === 2, 'the second route update');
		expect(updates).toEqual([
			{ id: client!.id, route: '/a', seen: '/a' },
			{ id: client!.id, route: '/b', seen: '/b' },
		]);
		expect(client!.route).toBe('/b');
	});

	test('a route reported before connecting goes with the hello, and again after a reconnect', async () => {
		const { url, server } = await startServer({ routeTracking: true });
		const db = connectClient(url);
		db.trackRoute('/early');
		await db.get('x').set(1);
		expect(server.getClients()[0]!.route).toBe('/early');
		db.disconnect();
		await waitFor(() => server.getClients().length === 0, 'the disconnect');
		db.trackRoute('/offline');
		db.connect(url);
		await db.get('x').set(2);
		expect(server.getClients()[0]!.route).toBe('/offline');
	});
});

describe('send and broadcast', () => {
	test("client.send reaches only that client's 'client:message'; broadcast reaches all, or those the filter accepts", async () => {
		const { url, server } = await startServer();
		const inboxes = [[], [], []] as unknown[][];
		const dbs = inboxes.map((inbox, index) => connectClient(url, { version: `v${index}`, plugins: [{ name: 'inbox', hooks: { 'client:message': (data) => void inbox.push(data) } }] }));
		await Promise.all(dbs.map((db) => db.get('x').set(1)));
		const clients = server.getClients();
		const byVersion = (version: string) => clients.find((client) => client.version === version)!;

		byVersion('v1').send({ type: 'welcome', message: 'Hello!' });
		server.broadcast('to everyone');
		server.broadcast({ only: 'v2' }, (client: Client) => client.version === 'v2');
		// A last broadcast after them: once every client has it, nothing else is on its way.
		server.broadcast('end');
		await waitFor(() => inboxes.every((inbox) => inbox.at(-1) === 'end'), 'the last broadcast');
		expect(inboxes).toEqual([['to everyone', 'end'], [{ type: 'welcome', message: 'Hello!' }, 'to everyone', 'end'], ['to everyone', { only: 'v2' }, 'end']]);
	});

	test('send and broadcast take JSON values only', async () => {
		const { url, server } = await startServer();
		await connectClient(url).get('x').set(1);
		const [client] = server.getClients();
		expect(() => client!.send(new Date())).toThrow(/not a JSON value/);
		expect(() => server.broadcast({ when: Number.NaN })).toThrow(/not a JSON number/);
	});

	test('send is destructurable and a closed client ignores it', async () => {
		const { url, server } = await startServer();
		const db = connectClient(url);
		await db.get('x').set(1);
		const { send } = server.getClients()[0]!;
		db.disconnect();
		await waitFor(() => server.getClients().length === 0, 'the disconnect');
		expect(() => send('late')).not.toThrow();
	});
});

describe('stats', () => {
	test('server.stats() counts connects, disconnects and route changes; no version counts as unknown', async () => {
		const { url, server } = await startServer({ routeTracking: true });
		expect(server.stats()).toEqual({ total: 0, versions: {}, routes: {}, revision: expect.any(Number) });
		const a = connectClient(url, { version: '1.0.0' });
		a.trackRoute('/home');
		const b = connectClient(url, { version: '1.0.0' });
		b.trackRoute('/home');
		const c = connectClient(url);
		await Promise.all([a, b, c].map((db) => db.get('x').set(1)));
		expect(server.stats()).toEqual({ total: 3, versions: { '1.0.0': 2, unknown: 1 }, routes: { '/home': 2 }, revision: expect.any(Number) });
		b.trackRoute('/settings');
		await waitFor(() => server.stats().routes['/settings'] === 1, 'the route change');
		expect(server.stats()).toEqual({ total: 3, versions: { '1.0.0': 2, unknown: 1 }, routes: { '/home': 1, '/settings': 1 }, revision: expect.any(Number) });
		a.disconnect();
		await waitFor(() => server.stats().total === 2, 'the disconnect');
		expect(server.stats()).toEqual({ total: 2, versions: { '1.0.0': 1, unknown: 1 }, routes: { '/settings': 1 }, revision: expect.any(Number) });
	});

	test('while queries are live, the stats count them by query; the count follows unsubscribes and disconnects', async () => {
		const { url, server } = await startServer();
		const top = "scores: orderByChild('points').limitToLast(3)";
		const a = connectClient(url);
		const b = connectClient(url);
		const stopA = a.get('scores').orderByChild('points').limitToLast(3).on(() => undefined);
		b.get('scores').orderByChild('points').limitToLast(3).on(() => undefined);
		b.get('rooms').orderByKey().startAfter('__proto__').onKeys(() => undefined);
		await waitFor(() => server.stats().queries?.[top] === 2, 'both queries counted');
		expect(server.stats().queries).toEqual({ [top]: 2, "rooms: orderByKey().startAfter('__proto__')": 1 });
		stopA();
		await waitFor(() => server.stats().queries?.[top] === 1, 'the unsubscribe');
		b.disconnect();
		await waitFor(() => server.stats().total === 1, 'the disconnect');
		expect(server.stats()).toEqual({ total: 1, versions: { unknown: 1 }, routes: {}, revision: expect.any(Number) });
	});

	test('stats are denied by default: FORBIDDEN, and the callback is never called', async () => {
		const asked: string[] = [];
		const { url, server } = await startServer({ plugins: [{ name: 'watch', hooks: { 'server:subscribeStats': ({ id }) => void asked.push(id) } }] });
		const errors: ClientErrorEvent[] = [];
		const db = connectClient(url, { plugins: [{ name: 'errors', hooks: { 'client:error': (event) => void errors.push(event) } }] });
		const received: ConnectionStats[] = [];
		db.subscribeStats((stats) => void received.push(stats));
		await waitFor(() => errors.length === 1, 'the refusal');
		expect(errors[0]).toMatchObject({ code: 'FORBIDDEN' });
		expect(asked).toHaveLength(1);
		await connectClient(url).get('y').set(1);
		await waitFor(() => server.stats().total === 2, 'the second connection counted');
		// A watcher of the counts is sent them on the next timer after a change (updateInterval 0):
		// a timer set now runs after that one, and a read asked then is answered after anything it sent.
		await new Promise((resolve) => setTimeout(resolve, 0));
		await settle(db);
		expect(received).toEqual([]);
	});

	test('an async hook that authorizes after awaiting gets the current stats, then every change, coalesced', async () => {
		const { url } = await startServer({
			updateInterval: 30,
			plugins: [
				{
					name: 'admins',
					hooks: {
						'server:authorizeStats': async (_args, { client, authorize }) => {
							await sleep(10);
							if (client.version === 'admin') authorize();
						},
					},
				},
			],
		});
		const admin = connectClient(url, { version: 'admin', plugins: [quiet] });
		const received: ConnectionStats[] = [];
		const stop = admin.subscribeStats((stats) => void received.push(stats));
		await waitFor(() => received.length === 1, 'the current stats');
		expect(received[0]).toEqual({ total: 1, versions: { admin: 1 }, routes: {} });
		// Three clients joining at once arrive as one change.
		const others = [1, 2, 3].map(() => connectClient(url, { version: '1.0.0' }));
		await Promise.all(others.map((db) => db.get('x').set(1)));
		await waitFor(() => received.at(-1)?.total === 4, 'the joined clients');
		expect(received.length).toBeLessThanOrEqual(3);
		expect(received.at(-1)).toEqual({ total: 4, versions: { admin: 1, '1.0.0': 3 }, routes: {} });
		others[0]!.disconnect();
		await waitFor(() => received.at(-1)?.total === 3, 'the departure');
		stop();
		const count = received.length;
		// Another admin watches from now on: once it saw the next departure, the stopped callback would have too.
		const watcher: number[] = [];
		connectClient(url, { version: 'admin', plugins: [quiet] }).subscribeStats((stats) => void watcher.push(stats.total));
		await waitFor(() => watcher.at(-1) === 4, 'the watcher counted');
		others[1]!.disconnect();
		await waitFor(() => watcher.at(-1) === 3, 'the next departure, seen by the watcher');
		expect(received).toHaveLength(count);
	});

	test('a stats subscription comes back after a reconnect; a second callback gets the latest stats at once', async () => {
		const { url, server } = await startServer({ updateInterval: 0, plugins: [{ name: 'open', hooks: { 'server:authorizeStats': (_args, { authorize }) => authorize() } }] });
		const db = connectClient(url);
		const first: number[] = [];
		db.subscribeStats((stats) => void first.push(stats.total));
		await waitFor(() => first.length === 1, 'the first stats');
		const second: number[] = [];
		db.subscribeStats((stats) => void second.push(stats.total));
		await waitFor(() => second.length === 1, 'the second callback');
		expect(second).toEqual([1]);
		db.disconnect();
		await waitFor(() => server.stats().total === 0, 'the disconnect');
		db.connect(url);
		await waitFor(() => first.length >= 2, 'stats after the reconnect');
		expect(first.at(-1)).toBe(1);
	});

	test('a raw client that asks for stats and gives them up before the hook decides gets nothing', async () => {
		const { url } = await startServer({
			plugins: [{ name: 'slow', hooks: { 'server:authorizeStats': async (_args, { authorize }) => void (await sleep(20), authorize()) } }],
		});
		const raw = await handshake(url);
		raw.send({ type: MessageType.SUBSCRIBE_STATS }, { type: MessageType.UNSUBSCRIBE_STATS });
		// Another raw client that asks after it and keeps asking gets its stats through the same hook: the first would have by then.
		const keeps = await handshake(url);
		keeps.send({ type: MessageType.SUBSCRIBE_STATS });
		await waitFor(() => keeps.messages.some((message) => message.type === MessageType.STATS), 'the stats of the one that kept asking');
		expect(raw.messages.filter((message) => message.type === MessageType.STATS || message.type === MessageType.ERROR)).toEqual([]);
	});
});
