import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { SocketDBClient, createWebsocketClient, type ClientErrorEvent, type ClientPlugin } from '@socketdb/client';
import { MessageType, nodeify, SocketDBError, type GoodbyeMessage, type Node } from '@socketdb/core';
import type { Client, ServerPlugin } from '@socketdb/server';
import { barrier, closeRawSockets, handshake, openRaw, pong, snapshotArrived } from './helpers/raw';
import { cleanup, connectClient, record, settle, sleep, startServer, waitFor } from './helpers/server';

afterEach(async () => {
	closeRawSockets();
	await cleanup();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a log of any hook's arguments and context, read back as each test's hook defines them
type Recorded<A = any, C = any> = { args: A; context: C };

/** A deep copy of a hook's arguments as they were when the hook ran. */
const snapshot = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Returns a copy of `data` (a root-anchored node) with `meta` merged at `path`. */
function withMetaAt(data: Node, path: string[], meta: Record<string, unknown>): Node {
	const copy = snapshot(data);
	let node: Node = copy;
	for (const key of path) node = (node.value as Record<string, Node>)[key]!;
	node.meta = { ...node.meta, ...meta };
	return copy;
}

/** True when the root-anchored diff reaches `key` at the top level. */
const touches = (data: Node, key: string) => typeof data.value === 'object' && data.value !== null && key in (data.value as object);

/** The id of the only connected client, once it completed its handshake. */
async function onlyClientId(server: { getClients: () => Client[] }): Promise<string> {
	await waitFor(() => server.getClients().length === 1, 'the client to connect');
	return server.getClients()[0]!.id;
}

describe('server hooks', () => {
	test("'server:init' runs after listen with {} and the data api, before listen's callback", async () => {
		const calls: Recorded[] = [];
		const events: string[] = [];
		const { server, url } = await startServer({
			plugins: [
				{
					name: 'init',
					hooks: {
						'server:init': async (args, context) => {
							calls.push({ args, context });
							await sleep(30);
							await context.api.update(nodeify({ seeded: true }));
							events.push('init done');
						},
					},
				},
			],
		});
		// startServer resolves in listen's callback: the hook (even async) finished before it.
		expect(events).toEqual(['init done']);
		expect(calls).toHaveLength(1);
		expect(calls[0]!.args).toEqual({});
		expect(typeof calls[0]!.context.api.get).toBe('function');
		expect(typeof calls[0]!.context.api.update).toBe('function');
		expect(typeof calls[0]!.context.api.delete).toBe('function');
		expect(server.get('seeded').value).toBe(true);
		// The server accepts clients once listening.
		const db = connectClient(url);
		const seen = record(db.get('seeded'));
		await waitFor(() => seen.values.length === 1, 'the seeded value');
		expect(seen.last()).toBe(true);
	});

	test("a connection that closes before its hello fires neither 'server:clientConnect' nor 'server:clientDisconnect'", async () => {
		const seen: string[] = [];
		const { url } = await startServer({
			plugins: [{ name: 'presence', hooks: { 'server:clientConnect': ({ id }) => void seen.push(`connect ${id}`), 'server:clientDisconnect': ({ id }) => void seen.push(`disconnect ${id}`) } }],
		});
		const raw = await openRaw(url);
		raw.ws.close();
		await waitFor(() => raw.closed() !== undefined, 'the socket to close');
		// A client that comes and goes after it: its disconnect is the marker.
		const db = connectClient(url);
		await db.get('x').set(1);
		db.disconnect();
		await waitFor(() => seen.length === 2, 'the second connection to come and go');
		expect(seen).toEqual([expect.stringMatching(/^connect /), expect.stringMatching(/^disconnect /)]);
		expect(seen[0]!.slice('connect '.length)).toBe(seen[1]!.slice('disconnect '.length));
	});

	test("'server:clientConnect' and 'server:clientDisconnect' get {id} and {client, api} with the session context", async () => {
		const connects: Recorded[] = [];
		const disconnects: Recorded[] = [];
		const { server, url } = await startServer(
			{
				plugins: [
					{
						name: 'presence',
						hooks: {
							'server:clientConnect': (args, context) => void connects.push({ args, context }),
							'server:clientDisconnect': (args, context) => void disconnects.push({ args, context }),
						},
					},
				],
			},
			{ initializeSession: () => ({ user: { id: 'ada' } }) },
		);
		const db = connectClient(url);
		await waitFor(() => connects.length === 1, 'server:clientConnect');
		const [{ args, context }] = connects as [Recorded];
		expect(args).toEqual({ id: expect.any(String) });
		expect(context.client.id).toBe(args.id);
		expect(context.client.context).toEqual({ user: { id: 'ada' } });
		expect(typeof context.client.close).toBe('function');
		expect(typeof context.api.get).toBe('function');
		expect(typeof context.api.update).toBe('function');
		expect(typeof context.api.delete).toBe('function');
		expect(server.getClient(args.id)?.context).toEqual({ user: { id: 'ada' } });
		expect(disconnects).toHaveLength(0);

		db.disconnect();
		await waitFor(() => disconnects.length === 1, 'server:clientDisconnect');
		expect(disconnects[0]!.args).toEqual({ id: args.id });
		expect(disconnects[0]!.context.client.id).toBe(args.id);
		expect(disconnects[0]!.context.client.context).toEqual({ user: { id: 'ada' } });
		expect(typeof disconnects[0]!.context.api.get).toBe('function');
		expect(server.getClient(args.id)).toBe(null);
		expect(connects).toHaveLength(1);
	});

	test("'server:update' gets the write's root-anchored diff and {client, api}; client fields are null for server writes", async () => {
		const calls: Recorded[] = [];
		const { server, url } = await startServer(
			{ plugins: [{ name: 'spy', hooks: { 'server:update': (args, context) => void calls.push({ args: snapshot(args), context }) } }] },
			{ initializeSession: () => ({ user: 'ada' }) },
		);
		const db = connectClient(url);
		const id = await onlyClientId(server);
		await db.get('users').get('1').set({ name: 'Ada', age: 36 }, { by: 'ada' });
		expect(calls).toHaveLength(1);
		expect(calls[0]!.args).toEqual({
			data: { value: { users: { value: { 1: { meta: { by: 'ada' }, value: { name: { value: 'Ada' }, age: { value: 36 } } } } } } },
		});
		expect(calls[0]!.context.client.id).toBe(id);
		expect(calls[0]!.context.client.context).toEqual({ user: 'ada' });
		expect(typeof calls[0]!.context.api.get).toBe('function');

		await server.update(nodeify({ config: { open: true } }));
		expect(calls).toHaveLength(2);
		expect(calls[1]!.args).toEqual({ data: { value: { config: { value: { open: { value: true } } } } } });
		expect(calls[1]!.context.client).toEqual({ id: null, context: null, close: null });
		expect(server.get('config/open').value).toBe(true);
	});

	test("'server:update' return value replaces the write for the next hook and for the server (meta.updated)", async () => {
		const seenBySecond: unknown[] = [];
		const { server, url } = await startServer({
			plugins: [
				{
					name: 'stamp',
					hooks: {
						'server:update': ({ data }) => ({ data: withMetaAt(data, ['users', '1'], { updated: 1234 }) }),
					},
				},
				{ name: 'second', hooks: { 'server:update': (args) => void seenBySecond.push(snapshot(args)) } },
			],
		});
		const writer = connectClient(url);
		const reader = connectClient(url);
		const seen = record(reader.get('users').get('1'));
		await waitFor(() => seen.values.length === 1, 'the initial value');
		await writer.get('users').get('1').set({ name: 'Ada' });
		expect(seenBySecond).toEqual([{ data: { value: { users: { value: { 1: { meta: { updated: 1234 }, value: { name: { value: 'Ada' } } } } } } } }]);
		expect(server.get('users/1')).toEqual({ meta: { updated: 1234 }, value: { name: { value: 'Ada' } } });
		await waitFor(() => seen.values.length === 2, 'the stamped value');
		expect(seen.last()).toEqual({ name: 'Ada' });
		expect(seen.metas[seen.metas.length - 1]).toEqual({ updated: 1234 });
	});

	test("'server:delete' gets {path} and {client, api}; a returned value redirects the delete", async () => {
		const calls: Recorded[] = [];
		const seenBySecond: unknown[] = [];
		const { server, url } = await startServer(
			{
				plugins: [
					{
						name: 'redirect',
						hooks: {
							'server:delete': (args, context) => {
								calls.push({ args: snapshot(args), context });
								return args.path === 'a' ? { path: 'b' } : undefined;
							},
						},
					},
					{ name: 'second', hooks: { 'server:delete': (args) => void seenBySecond.push(snapshot(args)) } },
				],
			},
			{ initializeSession: () => ({ role: 'admin' }) },
		);
		await server.update(nodeify({ a: 1, b: 2, c: 3 }));
		const db = connectClient(url);
		const id = await onlyClientId(server);
		await db.get('a').delete();
		expect(calls[0]!.args).toEqual({ path: 'a' });
		expect(calls[0]!.context.client.id).toBe(id);
		expect(calls[0]!.context.client.context).toEqual({ role: 'admin' });
		expect(typeof calls[0]!.context.api.get).toBe('function');
		expect(seenBySecond).toEqual([{ path: 'b' }]);
		expect(server.get('a').value).toBe(1);
		expect(server.get('b').value).toBe(null);

		await server.delete('c');
		expect(calls[1]!.args).toEqual({ path: 'c' });
		expect(calls[1]!.context.client).toEqual({ id: null, context: null, close: null });
		expect(server.get('c').value).toBe(null);
	});

	test("'server:change' runs after the commit with {revision, data} or {revision, deleted}", async () => {
		const changes: { args: { revision: number }; client: { id: string | null }; valueAtCall: unknown }[] = [];
		const { server, url } = await startServer({
			plugins: [
				{
					name: 'audit',
					hooks: {
						'server:change': (args, context) => {
							changes.push({ args: snapshot(args), client: context.client, valueAtCall: context.api.get('users/1').value });
						},
					},
				},
			],
		});
		const db = connectClient(url);
		const id = await onlyClientId(server);
		await db.get('users').get('1').set({ name: 'Ada' });
		await waitFor(() => changes.length === 1, 'the first change');
		await db.get('users').get('1').delete();
		await waitFor(() => changes.length === 2, 'the second change');
		await server.update(nodeify({ other: 1 }));
		await waitFor(() => changes.length === 3, 'the third change');

		const [first, second, third] = changes as [(typeof changes)[0], (typeof changes)[0], (typeof changes)[0]];
		expect(first.args).toEqual({ revision: expect.any(Number), data: { value: { users: { value: { 1: { value: { name: { value: 'Ada' } } } } } } } });
		expect(first.valueAtCall).toEqual({ name: { value: 'Ada' } });
		expect(first.client.id).toBe(id);
		expect(second.args).toEqual({ revision: first.args.revision + 1, deleted: 'users/1' });
		expect(second.valueAtCall).toBe(null);
		expect(third.args).toEqual({ revision: first.args.revision + 2, data: { value: { other: { value: 1 } } } });
		expect(third.client).toEqual({ id: null, context: null, close: null });
	});

	test("a throwing 'server:update' vetoes: the awaited set rejects with VETOED and the message, nothing is stored or sent", async () => {
		const changes: unknown[] = [];
		const { server, url, errors } = await startServer({
			plugins: [
				{
					name: 'guard',
					hooks: {
						'server:update': ({ data }) => {
							if (touches(data, 'doc')) throw new Error('doc is read-only');
						},
						'server:change': (args) => void changes.push(args),
					},
				},
			],
		});
		const writer = connectClient(url);
		const watcher = connectClient(url);
		const seen = record(watcher.get('doc'));
		const own = record(writer.get('doc'));
		await waitFor(() => seen.values.length === 1 && own.values.length === 1, 'the initial values');

		const error = await writer.get('doc').set({ title: 'x' }).then(
			() => undefined,
			(reason: unknown) => reason,
		);
		expect(error).toBeInstanceOf(SocketDBError);
		expect(error).toMatchObject({ code: 'VETOED', message: 'doc is read-only' });
		expect(server.get('doc').value).toBe(null);
		expect(errors.map((e) => e.message)).toContain('doc is read-only');

		await settle(watcher);
		expect(seen.values).toEqual([null]);
		// The writer showed its write at once, and took it back when the server refused it.
		expect(own.values).toEqual([null, { title: 'x' }, null]);
		expect(changes).toEqual([]);
	});

	test('a thrown SocketDBError keeps its code; a thrown string becomes VETOED with that message', async () => {
		const { server, url, errors } = await startServer({
			plugins: [
				{
					name: 'guard',
					hooks: {
						'server:update': ({ data }) => {
							if (touches(data, 'secret')) throw new SocketDBError('FORBIDDEN', 'not yours');
							if (touches(data, 'odd')) throw 'odd values are refused';
						},
					},
				},
			],
		});
		const db = connectClient(url);
		await expect(db.get('secret').set(1)).rejects.toMatchObject({ name: 'SocketDBError', code: 'FORBIDDEN', message: 'not yours' });
		await expect(db.get('odd').set(1)).rejects.toMatchObject({ code: 'VETOED', message: 'odd values are refused' });
		expect(server.get('secret').value).toBe(null);
		expect(server.get('odd').value).toBe(null);
		expect(errors.map((e) => e.message)).toEqual(expect.arrayContaining(['not yours', 'odd values are refused']));
		await db.get('fine').set(1);
		expect(server.get('fine').value).toBe(1);
	});

	test("a throwing 'server:delete' vetoes: the awaited delete rejects, the value stays, nobody is notified", async () => {
		const { server, url, errors } = await startServer({
			plugins: [
				{
					name: 'guard',
					hooks: {
						'server:delete': ({ path }) => {
							if (path.startsWith('keep')) throw new Error(`cannot delete ${path}`);
						},
					},
				},
			],
		});
		await server.update(nodeify({ keep: { a: 1 } }));
		const writer = connectClient(url);
		const watcher = connectClient(url);
		const seen = record(watcher.get('keep'));
		await waitFor(() => seen.values.length === 1, 'the initial value');
		expect(seen.last()).toEqual({ a: 1 });

		await expect(writer.get('keep').get('a').delete()).rejects.toMatchObject({ code: 'VETOED', message: 'cannot delete keep/a' });
		expect(server.get('keep/a').value).toBe(1);
		expect(errors.map((e) => e.message)).toContain('cannot delete keep/a');
		await settle(watcher);
		expect(seen.values).toEqual([{ a: 1 }]);
	});

	test.each([0, 50])("a veto inside one batch rejects only its own write; 'server:update' runs once per set with that set's diff (updateInterval %i)", async (updateInterval) => {
		const calls: unknown[] = [];
		const deletes: unknown[] = [];
		const { server, url, errors } = await startServer({
			updateInterval,
			plugins: [
				{
					name: 'guard',
					hooks: {
						'server:update': ({ data }) => {
							calls.push(snapshot(data));
							const batch = (data.value as Record<string, Node>)['batch'];
							if (batch !== undefined && 'b' in (batch.value as object)) throw new Error('b is refused');
						},
						'server:delete': ({ path }) => {
							deletes.push(path);
							if (path === 'batch/x') throw new Error('x stays');
						},
					},
				},
			],
		});
		await server.update(nodeify({ batch: { x: 'x', y: 'y' } }));
		calls.length = 0;
		const db = connectClient(url);
		const watcher = connectClient(url);
		const seen = record<Record<string, unknown>>(watcher.get('batch'));
		await waitFor(() => seen.values.length === 1, 'the initial value');
		await waitFor(() => server.getClients().length === 2, 'both clients');

		// All in one tick: the client sends them in one frame.
		const batch = db.get('batch');
		const results = await Promise.allSettled([
			batch.get('a').set(1),
			batch.get('b').set(2),
			batch.get('c').set(3),
			batch.get('x').delete(),
			batch.get('y').delete(),
		]);
		expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
		expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'VETOED', message: 'b is refused' });
		expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'VETOED', message: 'x stays' });
		expect(calls).toEqual([
			{ value: { batch: { value: { a: { value: 1 } } } } },
			{ value: { batch: { value: { b: { value: 2 } } } } },
			{ value: { batch: { value: { c: { value: 3 } } } } },
		]);
		expect(deletes).toEqual(['batch/x', 'batch/y']);
		expect(server.get('batch')).toEqual({ value: { a: { value: 1 }, c: { value: 3 }, x: { value: 'x' } } });
		expect(errors.map((e) => e.message)).toEqual(['b is refused', 'x stays']);
		await waitFor(() => isDeepStrictEqual(seen.last(), { x: 'x', a: 1, c: 3 }), 'the watcher to see the applied writes');
		expect(seen.values.some((value) => value !== null && 'b' in value)).toBe(false);
	});

	test('a throwing hook never crashes the server: a normal client still works afterwards', async () => {
		const { server, url, errors } = await startServer({
			plugins: [
				{
					name: 'grumpy',
					hooks: {
						'server:init': () => {
							throw new Error('init failed');
						},
						'server:clientConnect': () => {
							throw new Error('connect failed');
						},
						'server:clientDisconnect': async () => {
							throw new Error('disconnect failed');
						},
						'server:update': async ({ data }) => {
							if (touches(data, 'bad')) throw new Error('bad write');
						},
						'server:delete': () => {
							throw new TypeError('deletes are broken');
						},
						'server:change': () => {
							throw new Error('change failed');
						},
					},
				},
			],
		});
		expect(errors.map((e) => e.message)).toContain('init failed');
		const first = connectClient(url);
		await expect(first.get('bad').set(1)).rejects.toMatchObject({ code: 'VETOED', message: 'bad write' });
		await expect(first.get('good').delete()).rejects.toMatchObject({ code: 'VETOED', message: 'deletes are broken' });
		// server:change throws after the commit: the write itself still succeeds.
		await first.get('good').set(1);
		first.disconnect();
		await waitFor(() => errors.some((e) => e.message === 'disconnect failed'), 'the disconnect error');

		const a = connectClient(url);
		const b = connectClient(url);
		const seen = record(b.get('good'));
		await waitFor(() => seen.values.length === 1, 'the initial value');
		expect(seen.last()).toBe(1);
		await a.get('good').set(2);
		await waitFor(() => seen.last() === 2, 'the new value');
		expect(server.get('good').value).toBe(2);
		expect(errors.map((e) => e.message)).toEqual(
			expect.arrayContaining(['init failed', 'connect failed', 'disconnect failed', 'bad write', 'deletes are broken', 'change failed']),
		);
	});

	test('a hook that throws something other than an Error is reported the same way from every hook, server:init included', async () => {
		const reports: { hook: string | undefined; message: string; code: unknown; isError: boolean }[] = [];
		const refusal = { message: 'not an Error', code: 'FORBIDDEN' };
		const { url } = await startServer({
			onError: (error, source) => reports.push({ hook: source.hook, message: error.message, code: (error as SocketDBError).code, isError: error instanceof Error }),
			plugins: [
				{
					name: 'throws objects',
					hooks: {
						'server:init': () => {
							throw refusal;
						},
						'server:clientConnect': () => {
							throw refusal;
						},
					},
				},
			],
		});
		connectClient(url);
		await waitFor(() => reports.length === 2, 'both reports');
		expect(reports).toEqual([
			{ hook: 'server:init', message: 'not an Error', code: 'FORBIDDEN', isError: true },
			{ hook: 'server:clientConnect', message: 'not an Error', code: 'FORBIDDEN', isError: true },
		]);
	});

	test('hooks from plugins and intercept run in registration order; intercept returns an unregister function', async () => {
		const order: string[] = [];
		const step =
			(name: string): NonNullable<ServerPlugin['hooks']['server:update']> =>
			({ data }) => {
				order.push(name);
				const steps = ((data.meta?.['steps'] as string[] | undefined) ?? []).concat(name);
				return { data: { ...data, meta: { ...data.meta, steps } } };
			};
		const { server, url } = await startServer({
			plugins: [
				{ name: 'p1', hooks: { 'server:update': step('p1') } },
				{ name: 'p2', hooks: { 'server:update': step('p2') } },
			],
		});
		const unregisterI1 = server.intercept('server:update', step('i1') as never);
		const unregisterI2 = server.intercept('server:update', step('i2') as never);
		const db = connectClient(url);

		await db.get('x').set(1);
		expect(order).toEqual(['p1', 'p2', 'i1', 'i2']);
		expect(server.get('').meta).toEqual({ steps: ['p1', 'p2', 'i1', 'i2'] });

		order.length = 0;
		unregisterI1();
		unregisterI1(); // idempotent
		await db.get('x').set(2);
		expect(order).toEqual(['p1', 'p2', 'i2']);
		expect(server.get('').meta).toEqual({ steps: ['p1', 'p2', 'i2'] });

		order.length = 0;
		unregisterI2();
		await db.get('x').set(3);
		expect(order).toEqual(['p1', 'p2']);
		expect(server.get('x').value).toBe(3);

		// A hook registered through intercept can veto, and stops vetoing once unregistered.
		const unregisterVeto = server.intercept('server:delete', () => {
			throw new Error('no deletes');
		});
		await expect(db.get('x').delete()).rejects.toMatchObject({ code: 'VETOED', message: 'no deletes' });
		unregisterVeto();
		await db.get('x').delete();
		expect(server.get('x').value).toBe(null);
	});
});

describe('client hooks', () => {
	test("'client:set' gets {path, value, meta}; a returned value replaces the write", async () => {
		const calls: unknown[] = [];
		const plugin: ClientPlugin = {
			name: 'stamp',
			hooks: {
				'client:set': (args) => {
					calls.push(snapshot(args));
					if (args.path === 'redirect/me') return { path: 'redirected', value: args.value, meta: args.meta };
					return { path: args.path, value: { ...(args.value as object), stamped: true }, meta: { ...args.meta, by: 'hook' } };
				},
			},
		};
		const { server, url } = await startServer();
		const db = connectClient(url, { plugins: [plugin] });
		await db.get('users').get('1').set({ name: 'Ada' }, { v: 1 });
		expect(calls).toEqual([{ path: 'users/1', value: { name: 'Ada' }, meta: { v: 1 } }]);
		expect(server.get('users/1')).toEqual({ meta: { v: 1, by: 'hook' }, value: { name: { value: 'Ada' }, stamped: { value: true } } });

		await db.get('redirect').get('me').set({ a: 1 });
		expect(server.get('redirect/me').value).toBe(null);
		expect(server.get('redirected/a').value).toBe(1);
	});

	test("a throwing 'client:set' drops the write: the awaited set rejects and the server never sees it", async () => {
		const updates: unknown[] = [];
		const { server, url } = await startServer({ plugins: [{ name: 'spy', hooks: { 'server:update': (args) => void updates.push(snapshot(args)) } }] });
		const db = connectClient(url);
		const unregister = db.intercept('client:set', ({ path }) => {
			if (path.startsWith('locked')) throw new Error('locked is read-only here');
		});
		const error = await db.get('locked').set(1).then(
			() => undefined,
			(reason: unknown) => reason,
		);
		expect(error).toBeInstanceOf(SocketDBError);
		expect(error).toMatchObject({ code: 'VETOED', message: 'locked is read-only here' });
		// Later writes are not held up by the dropped one.
		await db.get('open').set(1);
		expect(updates).toEqual([{ data: { value: { open: { value: 1 } } } }]);
		expect(server.get('locked').value).toBe(null);

		unregister();
		await db.get('locked').set(2);
		expect(server.get('locked').value).toBe(2);
	});

	test("'client:delete' gets {path}; a returned value redirects it, a throw drops it", async () => {
		const calls: unknown[] = [];
		const { server, url } = await startServer();
		await server.update(nodeify({ a: 1, b: 2, c: 3 }));
		const db = connectClient(url, {
			plugins: [
				{
					name: 'deletes',
					hooks: {
						'client:delete': (args) => {
							calls.push(snapshot(args));
							if (args.path === 'a') return { path: 'b' };
							if (args.path === 'c') throw new Error('c is precious');
						},
					},
				},
			],
		});
		await db.get('a').delete();
		expect(calls).toEqual([{ path: 'a' }]);
		expect(server.get('a').value).toBe(1);
		expect(server.get('b').value).toBe(null);
		await expect(db.get('c').delete()).rejects.toMatchObject({ code: 'VETOED', message: 'c is precious' });
		expect(server.get('c').value).toBe(3);
	});

	test("'client:firstConnect' runs once; a drop runs 'client:serverDisconnectMessage', 'client:disconnect', then 'client:reconnect'", async () => {
		const events: string[] = [];
		const goodbyes: GoodbyeMessage[] = [];
		const { server, url } = await startServer();
		const db = connectClient(url, {
			plugins: [
				{
					name: 'lifecycle',
					hooks: {
						'client:firstConnect': () => void events.push('firstConnect'),
						'client:reconnect': () => void events.push('reconnect'),
						'client:disconnect': () => void events.push('disconnect'),
						'client:serverDisconnectMessage': (goodbye) => {
							goodbyes.push(snapshot(goodbye));
							events.push('goodbye');
						},
					},
				},
			],
		});
		await waitFor(() => events.length === 1, 'client:firstConnect');
		expect(events).toEqual(['firstConnect']);

		const id = await onlyClientId(server);
		server.getClient(id)!.close();
		await waitFor(() => events.includes('reconnect'), 'client:reconnect');
		expect(events).toEqual(['firstConnect', 'goodbye', 'disconnect', 'reconnect']);
		expect(goodbyes).toEqual([{ reason: 'unspecified' }]);

		// Still working after the reconnect.
		await db.get('x').set(1);
		expect(server.get('x').value).toBe(1);

		// The client's own disconnect runs 'client:disconnect' without a goodbye.
		db.disconnect();
		await waitFor(() => events.length === 5, 'client:disconnect');
		expect(events).toEqual(['firstConnect', 'goodbye', 'disconnect', 'reconnect', 'disconnect']);
	});

	test("'client:serverDisconnectMessage' receives the server's GoodbyeMessage before 'client:disconnect' on server shutdown", async () => {
		const events: string[] = [];
		const goodbyes: GoodbyeMessage[] = [];
		const testServer = await startServer();
		const db = connectClient(testServer.url);
		db.intercept('client:serverDisconnectMessage', (goodbye) => {
			goodbyes.push(snapshot(goodbye));
			events.push('goodbye');
		});
		db.intercept('client:disconnect', () => void events.push('disconnect'));
		await onlyClientId(testServer.server);
		await testServer.close();
		await waitFor(() => events.includes('disconnect'), 'client:disconnect');
		expect(events[0]).toBe('goodbye');
		expect(events[1]).toBe('disconnect');
		expect(goodbyes[0]).toMatchObject({ reason: 'server-shutdown' });
	});

	test("'client:error' receives a vetoed write nobody awaited, but not one that was awaited", async () => {
		const { url } = await startServer({
			plugins: [
				{
					name: 'guard',
					hooks: {
						'server:update': ({ data }) => {
							if (touches(data, 'no')) throw new Error('no means no');
						},
					},
				},
			],
		});
		const seen: ClientErrorEvent[] = [];
		const db = connectClient(url, { plugins: [{ name: 'errors', hooks: { 'client:error': (event) => void seen.push(snapshot(event)) } }] });
		db.get('no').set(1);
		await waitFor(() => seen.length === 1, 'client:error');
		expect(seen[0]).toMatchObject({ code: 'VETOED', message: 'no means no' });

		await expect(db.get('no').set(2)).rejects.toMatchObject({ code: 'VETOED' });
		await settle(db);
		expect(seen).toHaveLength(1);

		// A write dropped by a client hook nobody awaited is reported the same way.
		db.intercept('client:set', ({ path }) => {
			if (path === 'local') throw new Error('dropped locally');
		});
		db.get('local').set(1);
		await waitFor(() => seen.length === 2, 'the second client:error');
		expect(seen[1]).toMatchObject({ code: 'VETOED', message: 'dropped locally' });
	});

	test("'client:error' receives the errors the server sends for bad input", async () => {
		const { server, url } = await startServer({ limits: { maxDepth: 4, maxSubscriptionsPerConnection: 1 } });
		const seen: ClientErrorEvent[] = [];
		const db = SocketDBClient({ socketClient: createWebsocketClient({ reconnectTimeout: 200 }) });
		db.intercept('client:error', (event) => void seen.push(snapshot(event)));
		db.connect(url);
		try {
			let deep: Record<string, unknown> = { leaf: 1 };
			for (let i = 0; i < 10; i++) deep = { nested: deep };
			db.get('deep').set(deep);
			await waitFor(() => seen.length === 1, 'the refused write');
			expect(seen[0]).toMatchObject({ code: 'TOO_DEEP', message: expect.any(String) });
			expect(server.get('deep').value).toBe(null);

			db.get('one').on(() => undefined);
			db.get('two').on(() => undefined);
			await waitFor(() => seen.length === 2, 'the refused subscription');
			expect(seen[1]).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', message: expect.stringContaining('two') });
		} finally {
			db.disconnect();
		}
	});
});

describe("'server:subscribe': read authorization", () => {
	test('a throw refuses the subscription with FORBIDDEN: the client gets nothing of the path, other paths still work', async () => {
		const seen: { path: string; keys: boolean; id: string }[] = [];
		const { url, server } = await startServer({
			plugins: [
				{
					name: 'private',
					hooks: {
						'server:subscribe': async ({ path, keys }, { client }) => {
							seen.push({ path, keys, id: client.id });
							await sleep(5);
							if (path === '' || path.startsWith('secret')) throw new Error('not yours');
						},
					},
				},
			],
		});
		await server.update(nodeify({ secret: { key: 'k' }, public: { a: 1 } }));
		const errors: ClientErrorEvent[] = [];
		const plugins: ClientPlugin[] = [{ name: 'errors', hooks: { 'client:error': (event) => void errors.push(event) } }];
		// Each listener on its own client: a client subscribes only the highest path it listens to.
		const db = connectClient(url, { plugins });
		const secret = record(db.get('secret'));
		const open = record(db.get('public'));
		const root = record(connectClient(url, { plugins }).get(''));
		const keys: string[] = [];
		connectClient(url, { plugins })
			.get('secret')
			.each((_ref, key) => void keys.push(String(key)));
		await waitFor(() => open.values.length === 1 && errors.length >= 3, 'the public value and three refusals');
		expect(open.last()).toEqual({ a: 1 });
		expect(errors.map((event) => event.code)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
		expect(errors.map((event) => event.message).sort()).toEqual([
			'subscribing to "" was refused: not yours',
			'subscribing to "secret" was refused: not yours',
			'subscribing to "secret" was refused: not yours',
		]);
		await server.update(nodeify({ secret: { key: 'changed' } }));
		await db.get('public').get('a').set(2);
		await waitFor(() => open.values.length === 2, 'the public change');
		expect(secret.values).toEqual([]);
		expect(root.values).toEqual([]);
		expect(keys).toEqual([]);
		expect(seen.map(({ path, keys }) => [path, keys]).sort()).toEqual([
			['', false],
			['public', false],
			['secret', false],
			['secret', true],
		]);
	});

	test('an unsubscribe waits for every subscription still being decided, not only the first', async () => {
		const releases = new Map<string, () => void>();
		const { url, server } = await startServer({
			plugins: [
				{
					name: 'gate',
					hooks: { 'server:subscribe': ({ path }) => (path.startsWith('gated/') ? new Promise<void>((resolve) => releases.set(path, resolve)) : undefined) },
				},
			],
		});
		const raw = await handshake(url);
		raw.send({ type: MessageType.SUBSCRIBE, path: 'gated/a' }, { type: MessageType.SUBSCRIBE, path: 'gated/b' });
		await waitFor(() => releases.has('gated/a'), 'the decision on a');
		releases.get('gated/a')!();
		await waitFor(() => snapshotArrived(raw, 'gated/a') && releases.has('gated/b'), 'a subscribed and the decision on b');
		// While b is decided, its unsubscribe waits behind it.
		raw.send({ type: MessageType.UNSUBSCRIBE, path: 'gated/b' });
		await pong(raw);
		releases.get('gated/b')!();
		await barrier(raw, 'barrier-1');
		await server.update(nodeify({ gated: { a: 1, b: 1 } }));
		await barrier(raw, 'barrier-2');
		const data = raw.messages.filter((message) => message.type === MessageType.DATA);
		expect(data).toHaveLength(1);
		expect(data[0]).toMatchObject({ ops: [{ value: 1 }] });
	});

	test('a subscription made after a write of the same client is answered once that write is decided, with its value', async () => {
		let release = () => {};
		const { url } = await startServer({ plugins: [{ name: 'gate', hooks: { 'server:update': () => new Promise<void>((resolve) => (release = resolve)) } }] });
		const raw = await handshake(url);
		raw.send({ type: MessageType.SET, seq: 1, path: 'mine', node: { value: 'written' } }, { type: MessageType.SUBSCRIBE, path: 'mine' });
		await pong(raw);
		expect(raw.messages.filter((message) => message.type === MessageType.SNAPSHOT)).toEqual([]);
		release();
		expect(await raw.next(MessageType.SNAPSHOT, 0)).toMatchObject({ path: 'mine', node: { value: 'written' } });
	});

	test("'server:subscribe' decides subscriptions only: unsubscribing asks it nothing", async () => {
		const asked: string[] = [];
		const { url } = await startServer({ plugins: [{ name: 'watch', hooks: { 'server:subscribe': ({ path, keys }) => void asked.push(`${keys ? 'keys' : 'value'} ${path}`) } }] });
		const raw = await handshake(url);
		raw.send({ type: MessageType.SUBSCRIBE, path: 'a' }, { type: MessageType.SUBSCRIBE_KEYS, path: 'b' }, { type: MessageType.UNSUBSCRIBE, path: 'a' }, { type: MessageType.UNSUBSCRIBE_KEYS, path: 'b' }, { type: MessageType.SUBSCRIBE, path: 'barrier' });
		await waitFor(() => snapshotArrived(raw, 'barrier'), 'the barrier');
		expect(asked).toEqual(['value a', 'keys b', 'value barrier']);
	});

	test("a refusal by 'server:subscribe' is reported with the hook and the client, and told to the client with the path", async () => {
		const reports: unknown[][] = [];
		const { url } = await startServer({
			onError: (error, source) => void reports.push([error.message, source?.hook, source?.client?.id]),
			plugins: [
				{
					name: 'deny',
					hooks: {
						'server:subscribe': () => {
							throw new SocketDBError('FORBIDDEN', 'not yours');
						},
					},
				},
			],
		});
		const raw = await handshake(url);
		raw.send({ type: MessageType.SUBSCRIBE, path: 'secret' });
		const refusal = await raw.next(MessageType.ERROR, 0);
		expect(refusal).toEqual({ type: MessageType.ERROR, code: 'FORBIDDEN', message: 'subscribing to "secret" was refused: not yours', path: 'secret' });
		const welcome = raw.messages.find((message) => message.type === MessageType.WELCOME)!;
		expect(reports).toEqual([['not yours', 'server:subscribe', welcome.id]]);
	});

	test('an unsubscribe made while the hook decides is not overtaken by the subscribe', async () => {
		const { url, server } = await startServer({
			plugins: [{ name: 'slow', hooks: { 'server:subscribe': async () => void (await sleep(20)) } }],
		});
		const raw = await handshake(url);
		// A third subscription is decided after the two before it: its answer means both were handled.
		raw.send({ type: MessageType.SUBSCRIBE, path: 'other' }, { type: MessageType.UNSUBSCRIBE, path: 'other' }, { type: MessageType.SUBSCRIBE, path: 'first-barrier' });
		await waitFor(() => snapshotArrived(raw, 'first-barrier'), 'the first barrier');
		await server.update(nodeify({ other: { x: 1 } }));
		// The change went out in the tick of the update, before the answer to a subscription made after it.
		await barrier(raw, 'barrier');
		expect(raw.messages.filter((message) => message.type === MessageType.DATA)).toEqual([]);
	});
});
