import { createServer } from 'node:http';
import { afterEach, expect, test } from 'vitest';
import { answerUpgradeRequired, createWebsocketServer, SocketDBServer, WebsocketServerError, type Client, type SessionContext, type UpgradeErrorCode } from '@socketdb/server';
import { cleanup, connectClient, startServer, waitFor } from './helpers/server';
import { tryUpgrade } from './helpers/upgrade';

afterEach(cleanup);

test("initializeSession's return value is client.context in hooks and getClient", async () => {
	const requests: string[] = [];
	const connects: Client[] = [];
	const writers: unknown[] = [];
	const { server, url } = await startServer(
		{
			plugins: [
				{
					name: 'spy',
					hooks: {
						'server:clientConnect': (_args, { client }) => void connects.push(client),
						'server:update': (_args, { client }) => void writers.push(client.context),
					},
				},
			],
		},
		{
			initializeSession: async ({ req }) => {
				requests.push(req.url ?? '');
				const user = new URL(req.url ?? '/', 'http://localhost').searchParams.get('user');
				return { user: { id: user } } as SessionContext;
			},
		},
	);
	const db = connectClient(`${url}/?user=ada`);
	await waitFor(() => connects.length === 1, 'server:clientConnect');
	expect(requests).toEqual(['/?user=ada']);
	expect(connects[0]!.context).toEqual({ user: { id: 'ada' } });
	await db.get('x').set(1);
	expect(writers).toEqual([{ user: { id: 'ada' } }]);
	expect(server.getClient(connects[0]!.id)?.context).toEqual({ user: { id: 'ada' } });
	expect(server.getClient((context) => (context['user'] as { id: string }).id === 'ada')?.id).toBe(connects[0]!.id);
	expect(server.getClients((context) => (context['user'] as { id: string }).id === 'bob')).toEqual([]);
});

test('WebsocketServerError UNAUTHORIZED refuses the upgrade with 401 and its headers', async () => {
	const connects: string[] = [];
	const { url } = await startServer(
		{ plugins: [{ name: 'spy', hooks: { 'server:clientConnect': ({ id }) => void connects.push(id) } }] },
		{
			initializeSession: ({ req }) => {
				if (req.headers.authorization !== 'Bearer good') throw new WebsocketServerError({ code: 'UNAUTHORIZED', headers: { 'WWW-Authenticate': 'Bearer' } });
				return { user: 'ok' };
			},
		},
	);
	const refused = await tryUpgrade(url);
	expect(refused).toMatchObject({ status: 401 });
	expect(refused !== 'accepted' && refused.headers['www-authenticate']).toBe('Bearer');
	expect(connects).toEqual([]);
	expect(await tryUpgrade(url, { authorization: 'Bearer good' })).toBe('accepted');
});

test('a WebsocketServerError is an Error named by its class, with its code, status and message', () => {
	const error = new WebsocketServerError({ code: 'FORBIDDEN', message: 'not you' });
	expect(error).toBeInstanceOf(Error);
	expect(error).toMatchObject({ name: 'WebsocketServerError', code: 'FORBIDDEN', status: 403, message: 'not you' });
	expect(String(error)).toBe('WebsocketServerError: not you');
});

test('each WebsocketServerError code maps to its HTTP status', async () => {
	const { url } = await startServer(
		{},
		{
			initializeSession: ({ req }) => {
				const code = new URL(req.url ?? '/', 'http://localhost').searchParams.get('code') as UpgradeErrorCode;
				throw new WebsocketServerError({ code, headers: { 'x-code': code } });
			},
		},
	);
	const expected: Record<UpgradeErrorCode, number> = {
		BAD_REQUEST: 400,
		UNAUTHORIZED: 401,
		FORBIDDEN: 403,
		NOT_FOUND: 404,
		INTERNAL_SERVER_ERROR: 500,
	};
	for (const [code, status] of Object.entries(expected)) {
		const result = await tryUpgrade(`${url}/?code=${code}`);
		expect(result, code).toMatchObject({ status, headers: { 'x-code': code } });
	}
});

test('a thrown web Response refuses the upgrade with its status, headers and body', async () => {
	const { url } = await startServer(
		{},
		{
			initializeSession: () => {
				throw new Response('nope', { status: 418, headers: { 'x-why': 'tea' } });
			},
		},
	);
	const result = await tryUpgrade(url);
	expect(result).toMatchObject({ status: 418, headers: { 'x-why': 'tea' }, body: 'nope' });
});

test('a returned web Response refuses the upgrade with its status, headers and body', async () => {
	const connects: string[] = [];
	const { url } = await startServer(
		{ plugins: [{ name: 'spy', hooks: { 'server:clientConnect': ({ id }) => void connects.push(id) } }] },
		{ initializeSession: async () => new Response('nope', { status: 418, headers: { 'x-why': 'tea' } }) },
	);
	const result = await tryUpgrade(url);
	expect(result).toMatchObject({ status: 418, headers: { 'x-why': 'tea' }, body: 'nope' });
	expect(connects).toEqual([]);
});

test('any other thrown error refuses the upgrade with 500', async () => {
	const { server, url } = await startServer(
		{},
		{
			initializeSession: ({ req }) => {
				if (req.url?.includes('async')) return Promise.reject(new Error('database down'));
				throw new TypeError('secret internals');
			},
		},
	);
	const sync = await tryUpgrade(url);
	expect(sync).toMatchObject({ status: 500 });
	expect(sync !== 'accepted' && sync.body).not.toContain('secret internals');
	const async = await tryUpgrade(`${url}/?async`);
	expect(async).toMatchObject({ status: 500 });
	expect(server.getClients()).toEqual([]);
});

test('a plain HTTP GET to the default transport gets 426 Upgrade Required', async () => {
	const server = SocketDBServer({ keepAliveInterval: 0, onError: () => undefined });
	await new Promise<void>((resolve) => server.listen(0, resolve, '127.0.0.1'));
	try {
		const address = server.address();
		expect(address).not.toBe(null);
		const response = await fetch(`http://127.0.0.1:${address!.port}/`);
		expect(response.status).toBe(426);
		expect(response.headers.get('upgrade')?.toLowerCase()).toBe('websocket');
		await response.text();
		// The same server still accepts WebSocket clients.
		const db = connectClient(`ws://127.0.0.1:${address!.port}`);
		await db.get('x').set(1);
		expect(server.get('x').value).toBe(1);
		db.disconnect();
	} finally {
		await server.close();
	}
});

test("answerUpgradeRequired gives an own HTTP server's requests the default transport's answer", async () => {
	const answer = async (url: string) => {
		const response = await fetch(url);
		return { status: response.status, upgrade: response.headers.get('upgrade'), type: response.headers.get('content-type'), body: await response.text() };
	};
	const own = createServer((req, res) => (req.url === '/health' ? res.end('ok') : answerUpgradeRequired(res)));
	const withOwn = SocketDBServer({ keepAliveInterval: 0, onError: () => undefined, socketServer: createWebsocketServer({ server: own }) });
	const withDefault = SocketDBServer({ keepAliveInterval: 0, onError: () => undefined });
	await new Promise<void>((resolve) => withOwn.listen(0, resolve, '127.0.0.1'));
	await new Promise<void>((resolve) => withDefault.listen(0, resolve, '127.0.0.1'));
	try {
		const ownUrl = `http://127.0.0.1:${withOwn.address()!.port}`;
		const expected = await answer(`http://127.0.0.1:${withDefault.address()!.port}/`);
		expect(expected).toEqual({ status: 426, upgrade: 'websocket', type: 'text/plain; charset=utf-8', body: 'This is a SocketDB server: connect with a WebSocket client.\n' });
		expect(await answer(`${ownUrl}/anything`)).toEqual(expected);
		expect(await (await fetch(`${ownUrl}/health`)).text()).toBe('ok');
	} finally {
		await withOwn.close();
		await withDefault.close();
	}
});
