import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import crosswsNode from 'crossws/adapters/node';
import { afterEach, expect, test } from 'vitest';
import { SocketDBServer, WebsocketServerError, type SessionContext } from '@socketdb/server';
import { createCrosswsServer, type CrosswsServerOptions } from '@socketdb/server/crossws';
import { cleanup, connectClient, waitFor } from './helpers/server';
import { tryUpgrade } from './helpers/upgrade';

const servers: { http: Server; db: ReturnType<typeof SocketDBServer> }[] = [];
afterEach(async () => {
	await cleanup();
	for (const { http, db } of servers.splice(0)) {
		await db.close();
		await new Promise((resolve) => http.close(resolve));
	}
});

/** A SocketDB server mounted through crossws's Node adapter on a plain HTTP server, as an h3 app would. */
async function mount(transport: CrosswsServerOptions, options: Parameters<typeof SocketDBServer>[0] = {}) {
	const socketServer = createCrosswsServer(transport);
	const db = SocketDBServer({ updateInterval: 0, keepAliveInterval: 0, onError: () => undefined, ...options, socketServer });
	const adapter = crosswsNode({ hooks: socketServer.hooks });
	const http = createServer((_req, res) => res.end('the app'));
	http.on('upgrade', (req, socket, head) => void adapter.handleUpgrade(req, socket, head));
	await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
	await new Promise<void>((resolve) => db.listen(0, resolve));
	servers.push({ http, db });
	return { db, url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

test('the context initializeSession makes from the web Request is client.context in every hook, and hooks may add to it', async () => {
	const seen: Record<string, unknown>[] = [];
	const { db, url } = await mount(
		{
			initializeSession: ({ req }) => {
				const user = new URL(req.url).searchParams.get('user');
				return { user, agent: req.headers.get('x-app') } as SessionContext;
			},
		},
		{
			plugins: [
				{
					name: 'spy',
					hooks: {
						'server:clientConnect': (_args, { client }) => {
							client.context['connectedAt'] = 1;
							seen.push({ hook: 'connect', ...client.context });
						},
						'server:update': (_args, { client }) => void seen.push({ hook: 'update', ...client.context }),
						'server:clientDisconnect': (_args, { client }) => void seen.push({ hook: 'disconnect', ...client.context }),
					},
				},
			],
		},
	);
	const client = connectClient(`${url}/?user=ada`);
	await client.get('x').set(1);
	expect(db.getClients()[0]!.context).toEqual({ user: 'ada', agent: null, connectedAt: 1 });
	client.disconnect();
	await waitFor(() => seen.length === 3, 'three hooks');
	expect(seen).toEqual([
		{ hook: 'connect', user: 'ada', agent: null, connectedAt: 1 },
		{ hook: 'update', user: 'ada', agent: null, connectedAt: 1 },
		{ hook: 'disconnect', user: 'ada', agent: null, connectedAt: 1 },
	]);
});

test('a thrown WebsocketServerError refuses the upgrade with its status and headers', async () => {
	const { url } = await mount({
		initializeSession: ({ req }) => {
			if (req.headers.get('authorization') !== 'Bearer good') throw new WebsocketServerError({ code: 'UNAUTHORIZED', headers: { 'WWW-Authenticate': 'Bearer realm="db"' } });
			return { user: 'ok' };
		},
	});
	const refused = await tryUpgrade(url);
	expect(refused).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Bearer realm="db"' } });
	expect(await tryUpgrade(url, { Authorization: 'Bearer good' })).toBe('accepted');
});

test('a thrown or returned Response refuses the upgrade with its status, headers and body', async () => {
	const basic = { 'WWW-Authenticate': 'Basic realm="Websocket Authentication", charset="UTF-8"' };
	const { url } = await mount({
		initializeSession: ({ req }) => {
			const auth = req.headers.get('authorization');
			if (auth === null) throw new Response('Unauthorized', { status: 401, headers: basic });
			const [user, password] = atob(auth.replace(/^Basic /, '')).split(':');
			if (user !== 'ada' || password !== 'secret') return new Response('Forbidden', { status: 403 });
			return { user };
		},
	});
	expect(await tryUpgrade(url)).toMatchObject({ status: 401, body: 'Unauthorized', headers: { 'www-authenticate': basic['WWW-Authenticate'] } });
	expect(await tryUpgrade(url, { Authorization: `Basic ${btoa('ada:wrong')}` })).toMatchObject({ status: 403, body: 'Forbidden' });
	expect(await tryUpgrade(url, { Authorization: `Basic ${btoa('ada:secret')}` })).toBe('accepted');
});

test('through crossws a client reads, writes, gets messages and stats, and close() lets go of every connection', async () => {
	const { db, url } = await mount({}, { plugins: [{ name: 'stats', hooks: { 'server:authorizeStats': (_args, { authorize }) => authorize() } }] });
	const messages: unknown[] = [];
	const a = connectClient(url, { version: '1.0.0', plugins: [{ name: 'inbox', hooks: { 'client:message': (data) => void messages.push(data) } }] });
	const b = connectClient(url);
	const seen: unknown[] = [];
	b.get('room').on((value) => void seen.push(value));
	await waitFor(() => seen.length === 1, 'the current value');
	await a.get('room').set({ topic: 'crossws' });
	await waitFor(() => seen.length === 2, 'the update');
	expect(seen[1]).toEqual({ topic: 'crossws' });
	db.broadcast({ hello: 'all' });
	await waitFor(() => messages.length === 1, 'the broadcast');
	const stats: number[] = [];
	a.subscribeStats((value) => void stats.push(value.total));
	await waitFor(() => stats.length === 1, 'the stats');
	expect(stats).toEqual([2]);
	await db.close();
	expect(db.getClients()).toEqual([]);
});
