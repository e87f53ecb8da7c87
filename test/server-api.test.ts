import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import type { SocketDBClientAPI } from '@socketdb/client';
import { createStore, nodeify, type GoodbyeMessage, type Node } from '@socketdb/core';
import { SocketDBServer, createWebsocketServer, type Client } from '@socketdb/server';
import { cleanup, connectClient, record, sleep, startServer, waitFor } from './helpers/server';

const extra: (() => Promise<void> | void)[] = [];
afterEach(async () => {
	for (const fn of extra.splice(0).reverse()) await fn();
	await cleanup();
});

function listenHttp(server: Server, port = 0): Promise<number> {
	return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closeHttp(server: Server): Promise<void> {
	return new Promise((resolve) => {
		if (!server.listening) return resolve();
		server.close(() => resolve());
		server.closeAllConnections();
	});
}

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
	const probe = createNetServer();
	await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
	const { port } = probe.address() as AddressInfo;
	await new Promise<void>((resolve) => probe.close(() => resolve()));
	return port;
}

/** Resolves with the error code of a TCP connection attempt, or 'connected'. */
function tryConnect(port: number): Promise<string> {
	return new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1');
		socket.once('connect', () => {
			socket.destroy();
			resolve('connected');
		});
		socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
	});
}

describe('server.get', () => {
	test('returns the node at a path, and { value: null } for missing paths', async () => {
		const { url, server } = await startServer();
		const db = connectClient(url);
		await db.get('users/1').set({ name: 'Ada', tags: ['a', 'b'] }, { updated: 1 });
		expect(server.get('users/1')).toEqual({ meta: { updated: 1 }, value: { name: { value: 'Ada' }, tags: { value: ['a', 'b'] } } });
		expect(server.get('users/1/name')).toEqual({ value: 'Ada' });
		expect(server.get('/users/1/name/')).toEqual({ value: 'Ada' });
		expect(server.get('missing')).toEqual({ value: null });
		expect(server.get('users/1/name/deeper')).toEqual({ value: null });
		expect(server.get('users/2')).toEqual({ value: null });
		expect(server.get('')).toEqual({ value: { users: { value: { 1: server.get('users/1') } } } });
	});

	test('returns a copy: mutating it changes nothing', async () => {
		const { url, server } = await startServer();
		const db = connectClient(url);
		const seen = record(db.get('doc'));
		await waitFor(() => seen.values.length === 1, 'the initial value');
		await db.get('doc').set({ a: { b: 1 }, list: [1, 2] }, { tag: 'x' });
		await waitFor(() => seen.values.length === 2, 'the value');

		const copy = server.get('doc') as Node;
		const children = copy.value as Record<string, Node>;
		(children['a']!.value as Record<string, Node>)['b']!.value = 2;
		(children['list']!.value as number[]).push(3);
		children['added'] = { value: true };
		copy.meta!['tag'] = 'changed';
		const whole = server.get('') as Node;
		delete (whole.value as Record<string, Node>)['doc'];

		expect(server.get('doc')).toEqual({ meta: { tag: 'x' }, value: { a: { value: { b: { value: 1 } } }, list: { value: [1, 2] } } });
		// Later reads and clients are unaffected too.
		const other = connectClient(url);
		const fresh = record(other.get('doc'));
		await waitFor(() => fresh.values.length === 1, 'a fresh read');
		expect(fresh.values[0]).toEqual({ a: { b: 1 }, list: [1, 2] });
		expect(fresh.metas[0]).toEqual({ tag: 'x' });
		// The next change reaches the first subscriber on top of the data as written.
		await db.get('doc').get('marker').set(1);
		await waitFor(() => seen.values.length === 3, 'the marker');
		expect(seen.values[2]).toEqual({ a: { b: 1 }, list: [1, 2], marker: 1 });
	});
});

describe('server.update', () => {
	test('merges a root-anchored node, reaches subscribed clients and is awaitable', async () => {
		const { url, server } = await startServer();
		const db = connectClient(url);
		const seen = record(db.get('settings'));
		const leaf = record(db.get('settings/theme'));
		await waitFor(() => seen.values.length === 1 && leaf.values.length === 1, 'the initial values');

		await server.update({ value: { settings: { value: { theme: { value: 'dark' }, size: { value: 3 } }, meta: { by: 'server' } } } });
		expect(server.get('settings')).toEqual({ meta: { by: 'server' }, value: { theme: { value: 'dark' }, size: { value: 3 } } });
		await waitFor(() => seen.values.length === 2 && leaf.values.length === 2, 'the update on the client');
		expect(seen.last()).toEqual({ theme: 'dark', size: 3 });
		expect(seen.metas[1]).toEqual({ by: 'server' });
		expect(leaf.last()).toBe('dark');

		// Deep merge, as for clients.
		await server.update(nodeify({ settings: { size: 4, extra: { on: true } } }));
		expect(server.get('settings/theme')).toEqual({ value: 'dark' });
		await waitFor(() => seen.values.length === 3, 'the second update');
		expect(seen.last()).toEqual({ theme: 'dark', size: 4, extra: { on: true } });
	});

	test('a server update runs through server:update hooks and a veto rejects it', async () => {
		const { server } = await startServer();
		const calls: unknown[] = [];
		server.intercept('server:update', ({ data }, { client }) => {
			calls.push(client.id);
			if ((data.value as Record<string, Node>)['forbidden'] !== undefined) throw new Error('no');
		});
		await server.update(nodeify({ fine: 1 }));
		await expect(server.update(nodeify({ forbidden: 1 }))).rejects.toThrow();
		expect(calls).toEqual([null, null]);
		expect(server.get('fine')).toEqual({ value: 1 });
		expect(server.get('forbidden')).toEqual({ value: null });
	});
});

describe('server.delete', () => {
	test('removes a path, reaches subscribed clients and is awaitable', async () => {
		const { url, server } = await startServer();
		await server.update(nodeify({ users: { 1: { name: 'Ada' }, 2: { name: 'Bob' } } }));
		const db = connectClient(url);
		const users = record(db.get('users'));
		const user = record(db.get('users/1'));
		const name = record(db.get('users/1/name'));
		await waitFor(() => users.values.length === 1 && user.values.length === 1 && name.values.length === 1, 'the initial values');
		expect(user.values[0]).toEqual({ name: 'Ada' });

		await server.delete('users/1');
		expect(server.get('users/1')).toEqual({ value: null });
		expect(server.get('users')).toEqual({ value: { 2: { value: { name: { value: 'Bob' } } } } });
		await waitFor(() => user.last() === null && name.last() === null && users.values.length === 2, 'the delete on the client');
		expect(users.last()).toEqual({ 2: { name: 'Bob' } });
	});
});

describe('server.listen', () => {
	test('the callback runs after server:init', async () => {
		const http = createServer();
		await listenHttp(http);
		const server = SocketDBServer({ socketServer: createWebsocketServer({ server: http }), updateInterval: 0, keepAliveInterval: 0, onError: () => undefined });
		extra.push(async () => {
			await server.close();
			await closeHttp(http);
		});
		const order: string[] = [];
		let apiGet: unknown;
		server.intercept('server:init', async (_args, { api }) => {
			await sleep(10);
			order.push('init');
			apiGet = api.get;
		});
		await new Promise<void>((resolve) =>
			server.listen(0, () => {
				order.push('callback');
				resolve();
			}),
		);
		expect(order).toEqual(['init', 'callback']);
		expect(typeof apiGet).toBe('function');
	});

	test('listen works on an already-listening http server passed to createWebsocketServer', async () => {
		const http = createServer((_req, res) => res.end('plain http still works'));
		const port = await listenHttp(http);
		const server = SocketDBServer({ socketServer: createWebsocketServer({ server: http }), updateInterval: 0, keepAliveInterval: 0, onError: () => undefined });
		extra.push(async () => {
			await server.close();
			await closeHttp(http);
		});
		let called = false;
		await new Promise<void>((resolve) =>
			server.listen(port, () => {
				called = true;
				resolve();
			}),
		);
		expect(called).toBe(true);
		const url = `ws://127.0.0.1:${port}`;
		const a = connectClient(url);
		const b = connectClient(url);
		const seen = record(b.get('hello'));
		await a.get('hello').set('world');
		await waitFor(() => seen.last() === 'world', 'a value through the shared http server');
		const response = await fetch(`http://127.0.0.1:${port}/`);
		expect(await response.text()).toBe('plain http still works');
	});

	test('listen on a port the server opens itself', async () => {
		const port = await freePort();
		const server = SocketDBServer({ updateInterval: 0, keepAliveInterval: 0, onError: () => undefined });
		extra.push(() => server.close());
		await new Promise<void>((resolve) => server.listen(port, resolve));
		const a = connectClient(`ws://127.0.0.1:${port}`);
		const seen = record(a.get('x'));
		await a.get('x').set(1);
		await waitFor(() => seen.last() === 1, 'a value');
	});
});

describe('server.intercept', () => {
	test('returns a function that unregisters the hook', async () => {
		const { url, server } = await startServer();
		const db = connectClient(url);
		const calls: string[] = [];
		const unregister = server.intercept('server:update', () => {
			calls.push('update');
			throw new Error('vetoed');
		});
		await expect(db.get('x').set(1)).rejects.toThrow(/vetoed/);
		expect(calls).toEqual(['update']);
		expect(server.get('x')).toEqual({ value: null });

		unregister();
		await db.get('x').set(2);
		expect(calls).toEqual(['update']);
		expect(server.get('x')).toEqual({ value: 2 });
		// Calling it again is harmless.
		unregister();
		await db.get('x').set(3);
		expect(server.get('x')).toEqual({ value: 3 });
	});

	test('a hook can replace a write, and unregistering one hook leaves the others', async () => {
		const { url, server } = await startServer();
		const db = connectClient(url);
		const seen: string[] = [];
		const stopA = server.intercept('server:delete', ({ path }) => {
			seen.push(`a:${path}`);
		});
		server.intercept('server:delete', ({ path }) => {
			seen.push(`b:${path}`);
		});
		server.intercept('server:update', ({ data }) => ({ data: { ...data, meta: { stamped: true } } }));
		await db.get('doc').set({ k: 1 });
		expect(server.get('').meta).toEqual({ stamped: true });
		await db.get('doc/k').delete();
		stopA();
		await db.get('doc').delete();
		expect(seen).toEqual(['a:doc/k', 'b:doc/k', 'b:doc']);
	});
});

describe('getClient / getClients', () => {
	test('find clients by id and by context', async () => {
		const { url, server } = await startServer(
			{},
			{
				initializeSession: ({ req }) => {
					const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
					return { user: params.get('user') ?? 'anonymous', role: params.get('role') ?? 'user' };
				},
			},
		);
		const connected = new Map<string, string>();
		const handleIds: [string, string][] = [];
		server.intercept('server:clientConnect', ({ id }, { client }) => {
			connected.set(String(client.context['user']), id);
			handleIds.push([client.id, id]);
		});
		connectClient(`${url}/?user=ada&role=admin`);
		connectClient(`${url}/?user=bob`);
		connectClient(`${url}/?user=cy&role=admin`);
		await waitFor(() => connected.size === 3, 'three clients');
		// The hook's client is the connection the hook was called for.
		for (const [handleId, id] of handleIds) expect(handleId).toBe(id);

		const adaId = connected.get('ada')!;
		const ada = server.getClient(adaId);
		expect(ada).not.toBeNull();
		expect(ada!.id).toBe(adaId);
		expect(ada!.context).toEqual({ user: 'ada', role: 'admin' });

		const bob = server.getClient((context) => context['user'] === 'bob');
		expect(bob?.id).toBe(connected.get('bob'));
		expect(bob?.context).toEqual({ user: 'bob', role: 'user' });

		expect(server.getClient('no-such-id')).toBeNull();
		expect(server.getClient((context) => context['user'] === 'nobody')).toBeNull();

		const admins = server.getClients((context) => context['role'] === 'admin');
		expect(admins.map((client) => client.context['user']).sort()).toEqual(['ada', 'cy']);
		expect(admins.map((client) => client.id).sort()).toEqual([connected.get('ada'), connected.get('cy')].sort());
		const everyone = server.getClients();
		expect(everyone.map((client) => client.id).sort()).toEqual([...connected.values()].sort());
		expect(server.getClients((context) => context['role'] === 'guest')).toEqual([]);
	});

	test('a client that disconnected is no longer found', async () => {
		const { url, server } = await startServer();
		const ids: string[] = [];
		const gone: string[] = [];
		server.intercept('server:clientConnect', ({ id }) => {
			ids.push(id);
		});
		server.intercept('server:clientDisconnect', ({ id }) => {
			gone.push(id);
		});
		const db = connectClient(url);
		connectClient(url);
		await waitFor(() => ids.length === 2, 'two clients');
		db.disconnect();
		await waitFor(() => gone.length === 1, 'the disconnect');
		expect(ids).toContain(gone[0]);
		expect(server.getClient(gone[0]!)).toBeNull();
		expect(server.getClients().map((client) => client.id)).toEqual(ids.filter((id) => id !== gone[0]));
	});
});

/** Records the goodbyes and disconnects a client sees, in order. */
function watchGoodbye(db: SocketDBClientAPI) {
	const events: string[] = [];
	const goodbyes: GoodbyeMessage[] = [];
	db.intercept('client:serverDisconnectMessage', (goodbye) => {
		goodbyes.push(goodbye);
		events.push('goodbye');
	});
	db.intercept('client:disconnect', () => {
		events.push('disconnect');
	});
	return { events, goodbyes };
}

describe('client.close', () => {

	test('close(goodbye) sends the goodbye to the client, then closes the connection', async () => {
		const { url, server } = await startServer();
		let client: Client | undefined;
		server.intercept('server:clientConnect', (_args, context) => {
			client = context.client;
		});
		const disconnected: string[] = [];
		server.intercept('server:clientDisconnect', ({ id }) => {
			disconnected.push(id);
		});
		const db = connectClient(url);
		const { events, goodbyes } = watchGoodbye(db);
		await waitFor(() => client !== undefined, 'the connection');
		const id = client!.id;
		client!.close({ reason: 'keep-alive-check-failed', message: 'go away' });
		await waitFor(() => events.length >= 2, 'goodbye and disconnect');
		expect(events.slice(0, 2)).toEqual(['goodbye', 'disconnect']);
		expect(goodbyes[0]).toEqual({ reason: 'keep-alive-check-failed', message: 'go away' });
		await waitFor(() => disconnected.includes(id), 'the server-side disconnect');
		expect(server.getClient(id)).toBeNull();
	});

	test("close() without a goodbye says 'unspecified'", async () => {
		const { url, server } = await startServer();
		const ids: string[] = [];
		server.intercept('server:clientConnect', ({ id }) => {
			ids.push(id);
		});
		const db = connectClient(url);
		const { events, goodbyes } = watchGoodbye(db);
		await waitFor(() => ids.length === 1, 'the connection');
		server.getClient(ids[0]!)!.close();
		await waitFor(() => events.length >= 2, 'goodbye and disconnect');
		expect(events.slice(0, 2)).toEqual(['goodbye', 'disconnect']);
		expect(goodbyes[0]).toMatchObject({ reason: 'unspecified' });
	});
});

describe('server.close', () => {
	test("resolves, says 'server-shutdown' to every connection and closes them", async () => {
		const { url, server } = await startServer();
		const connected: string[] = [];
		const disconnected: string[] = [];
		server.intercept('server:clientConnect', ({ id }) => {
			connected.push(id);
		});
		server.intercept('server:clientDisconnect', ({ id }) => {
			disconnected.push(id);
		});
		const clients = [connectClient(url), connectClient(url)];
		const watched = clients.map(watchGoodbye);
		await waitFor(() => connected.length === 2, 'two clients');
		await expect(server.close()).resolves.toBeUndefined();
		await waitFor(() => watched.every(({ events }) => events.length >= 2), 'goodbye and disconnect on every client');
		for (const { events, goodbyes } of watched) {
			expect(events.slice(0, 2)).toEqual(['goodbye', 'disconnect']);
			expect(goodbyes[0]).toMatchObject({ reason: 'server-shutdown' });
		}
		await waitFor(() => disconnected.length === 2, 'the server-side disconnects');
		expect(disconnected.sort()).toEqual(connected.sort());
		expect(server.getClients()).toEqual([]);
		// Closing again is harmless.
		await server.close();
	});

	test('on an HTTP server of your own, a client that connects while the server closes is told server-shutdown at once', async () => {
		// An application's server that routes nothing itself: a plain request would never be answered.
		const http = createServer();
		extra.push(() => closeHttp(http));
		const port = await listenHttp(http);
		let releaseFlush = () => {};
		let flushing = false;
		const store = {
			...createStore(),
			flush: () => {
				flushing = true;
				return new Promise<void>((resolve) => (releaseFlush = resolve));
			},
		};
		const server = SocketDBServer({ store, updateInterval: 0, keepAliveInterval: 0, socketServer: createWebsocketServer({ server: http }) });
		const closed = server.close();
		await waitFor(() => flushing, 'the close to reach the store');
		const ws = new WebSocket(`ws://127.0.0.1:${port}`);
		const [code, reason] = await new Promise<[number, string]>((resolve) => ws.on('close', (code, reason) => resolve([code, reason.toString()])));
		expect([code, reason]).toEqual([1001, 'server-shutdown']);
		releaseFlush();
		await closed;
	});

	test('stops listening: a new connection to the port fails', async () => {
		const port = await freePort();
		const server = SocketDBServer({ updateInterval: 0, keepAliveInterval: 0, onError: () => undefined });
		let closed = false;
		extra.push(async () => {
			if (!closed) await server.close();
		});
		await new Promise<void>((resolve) => server.listen(port, resolve));
		const db = connectClient(`ws://127.0.0.1:${port}`);
		const goodbyes: GoodbyeMessage[] = [];
		db.intercept('client:serverDisconnectMessage', (goodbye) => {
			goodbyes.push(goodbye);
		});
		const seen = record(db.get('x'));
		await waitFor(() => seen.values.length === 1, 'the connection');
		expect(await tryConnect(port)).toBe('connected');
		await server.close();
		closed = true;
		expect(await tryConnect(port)).toBe('ECONNREFUSED');
		await waitFor(() => goodbyes.length === 1, 'the goodbye');
		expect(goodbyes[0]).toMatchObject({ reason: 'server-shutdown' });
	});
});
