import { afterEach, describe, expect, test } from 'vitest';
import { increment } from '@socketdb/client';
import { isObject, nodeify, unwrap, type Node } from '@socketdb/core';
import { pluginRules, type Rules } from '@socketdb/plugin-rules';
import type { SessionContext, SocketDBServerOptions } from '@socketdb/server';
import { cleanup, connectClient, sleep, startServer, waitFor } from './helpers/server';

afterEach(cleanup);

declare module '@socketdb/server' {
	interface SessionContext {
		uid?: string | null;
		role?: string | null;
	}
}

/** A server with `rules`, whose clients are who their URL says: `?uid=ada&role=admin`. */
async function ruled(rules: Rules, options: SocketDBServerOptions = {}) {
	const started = await startServer(
		{ ...options, plugins: [pluginRules(rules), ...(options.plugins ?? [])] },
		{
			initializeSession: ({ req }) => {
				const params = new URL(req.url!, 'http://x').searchParams;
				return { uid: params.get('uid'), role: params.get('role') } as SessionContext;
			},
		},
	);
	return { ...started, as: (uid: string, role = 'user') => connectClient(`${started.url}/?uid=${uid}&role=${role}`) };
}

/** What the server holds at `path`, as plain data; null (or an empty object left behind) when nothing. */
function held(server: { get: (path: string) => unknown }, path: string): unknown {
	const node = server.get(path) as Node | null;
	const value = node === null ? null : unwrap(node);
	return isObject(value) && Object.keys(value).length === 0 ? null : (value ?? null);
}

/** How each write ended: 'ok' or its error code. */
async function outcomes(writes: PromiseLike<unknown>[]): Promise<string[]> {
	const settled = await Promise.allSettled(writes);
	return settled.map((outcome) => (outcome.status === 'fulfilled' ? 'ok' : (outcome.reason as { code: string }).code));
}

describe('rules over real sockets', () => {
	test('with the plugin, what no rule grants is denied: FORBIDDEN naming the path, and nothing changes', async () => {
		const { server, as } = await ruled({ open: { '.write': true } });
		await server.update(nodeify({ closed: { x: 1 } }));
		const ada = as('ada');
		const refusal = await Promise.resolve(ada.get('closed/x').set(2)).catch((error: { code: string; message: string }) => error);
		expect(refusal).toMatchObject({ code: 'FORBIDDEN' });
		expect((refusal as { message: string }).message).toContain('closed/x');
		expect(await outcomes([ada.get('closed').delete(), ada.set({ open: { y: 1 }, closed: { x: 3 } } as never), ada.get('open/y').set(1)])).toEqual(['FORBIDDEN', 'FORBIDDEN', 'ok']);
		expect(server.get('closed/x').value).toBe(1);
	});

	test('.read and .write cascade: a grant covers everything below, and a deeper false cannot take it back', async () => {
		const { server, as } = await ruled({ public: { '.read': true, '.write': true, locked: { '.read': false, '.write': false } }, deep: { a: { b: { '.write': true } } } });
		const ada = as('ada');
		expect(await outcomes([ada.get('public/locked/x').set(1), ada.get('public/locked').delete(), ada.get('deep/a/b/c').set(1), ada.get('deep/a/x').set(1), ada.get('deep/a').set({ b: { c: 2 } })])).toEqual([
			'ok',
			'ok',
			'ok',
			'FORBIDDEN',
			// Only b is written, and b is granted.
			'ok',
		]);
		// Deleting a needs a grant at a or above: b's does not reach up.
		expect(await outcomes([ada.get('deep/a').delete()])).toEqual(['FORBIDDEN']);
		const seen: unknown[] = [];
		ada.get('public/locked').on((value) => void seen.push(value));
		await server.update(nodeify({ public: { locked: { y: 2 } } }));
		await waitFor(() => JSON.stringify(seen.at(-1)) === JSON.stringify({ y: 2 }), 'the read under a grant');
	});

	test('a read no rule grants: client:error FORBIDDEN, and nothing of the path is sent', async () => {
		const { server, as } = await ruled({ public: { '.read': true }, users: { $uid: { '.read': ({ auth, params }) => auth.uid === params['uid'] } } });
		await server.update(nodeify({ secret: { code: 42 }, users: { ada: { mail: 'a@x' }, bob: { mail: 'b@x' } }, public: { hello: 'world' } }));
		const ada = as('ada');
		const errors: { code: string; message: string; path?: string }[] = [];
		ada.intercept('client:error', (event) => void errors.push(event));
		const received: unknown[] = [];
		ada.get('secret').on((value) => void received.push(value));
		ada.get('users/bob').on((value) => void received.push(value));
		ada.get('users').onKeys((keys) => void received.push(keys));
		ada.get('users').orderByKey().on((entries) => void received.push(entries));
		const mine: unknown[] = [];
		ada.get('users/ada').on((value) => void mine.push(value));
		await waitFor(() => errors.length === 4 && mine.length === 1, 'four refusals and the own value');
		expect(errors.map((error) => error.code)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
		// Each refusal names the subscription it refused.
		expect(errors.map((error) => error.path).sort()).toEqual(['secret', 'users', 'users', 'users/bob']);
		expect(mine).toEqual([{ mail: 'a@x' }]);
		// One change also of ada's own path: once ada has it, anything of the change sent to her has arrived.
		await server.update(nodeify({ secret: { code: 43 }, users: { bob: { mail: 'b2@x' }, ada: { mail: 'a2@x' } } }));
		await waitFor(() => JSON.stringify(mine.at(-1)) === JSON.stringify({ mail: 'a2@x' }), 'the change of her own path');
		expect(received).toEqual([]);
	});

	test('$name binds params: each user writes only under their own key', async () => {
		const { server, as } = await ruled({ users: { $uid: { '.read': true, '.write': ({ auth, params }) => auth.uid === params['uid'] } } });
		const ada = as('ada');
		expect(await outcomes([ada.get('users/ada/name').set('Ada'), ada.get('users/bob/name').set('Ada'), ada.get('users').set({ ada: { x: 1 }, bob: { x: 1 } }), ada.get('users/ada').delete()])).toEqual([
			'ok',
			'FORBIDDEN',
			'FORBIDDEN',
			'ok',
		]);
		expect(held(server, 'users/bob')).toBeNull();
	});

	test('.validate runs at every level a merged write reaches, after .write granted, and skips deletes', async () => {
		const rules: Rules = {
			items: {
				'.read': true,
				'.write': true,
				$id: {
					'.validate': ({ newData }) => isObject(newData) && typeof newData['title'] === 'string',
					title: { '.validate': ({ newData }) => typeof newData === 'string' && newData.length <= 10 },
					done: { '.validate': ({ newData }) => typeof newData === 'boolean' },
					$other: { '.validate': false },
				},
			},
		};
		const { server, as } = await ruled(rules);
		const ada = as('ada');
		expect(await outcomes([ada.get('items/a').set({ title: 'milk', done: false })])).toEqual(['ok']);
		expect(
			await outcomes([
				ada.get('items/b').set({ done: true }),
				ada.get('items/a/title').set('a title longer than ten'),
				ada.get('items/a').set({ extra: 1 }),
				ada.get('items/a/done').set('yes' as never),
				ada.get('items').set({ c: { title: 'ok', done: 'no' } } as never),
				// What is left of a has no title.
				ada.get('items/a/title').delete(),
			]),
		).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
		expect(await outcomes([ada.get('items/a/done').set(true), ada.get('items/a/done').delete(), ada.get('items/a').delete()])).toEqual(['ok', 'ok', 'ok']);
		expect(held(server, 'items')).toBeNull();
	});

	test('a multi-path update with one denied path applies nothing', async () => {
		const { server, as } = await ruled({ a: { '.write': true }, b: { '.write': ({ auth }) => auth.role === 'admin' } });
		await server.update(nodeify({ b: { keep: 1 } }));
		const ada = as('ada');
		expect(await outcomes([ada.update({ 'a/x': 1, 'b/y': 2 } as never), ada.update({ 'a/x': 1, 'b/keep': null } as never)])).toEqual(['FORBIDDEN', 'FORBIDDEN']);
		expect(held(server, 'a')).toBeNull();
		expect(server.get('b/keep').value).toBe(1);
		const admin = as('root', 'admin');
		expect(await outcomes([admin.update({ 'a/x': 1, 'b/keep': null } as never)])).toEqual(['ok']);
		expect(server.get('a/x').value).toBe(1);
	});

	test('async rules decide when they resolve; a rule that throws denies, and its error reaches onError only', async () => {
		const reported: unknown[] = [];
		const { server, as } = await ruled(
			{
				slow: { '.write': async ({ auth }) => (await sleep(20), auth.role === 'admin') },
				broken: {
					'.write': () => {
						throw new Error('secret detail of the rule');
					},
				},
			},
			{ onError: (error) => void reported.push(error) },
		);
		const ada = as('ada');
		const admin = as('root', 'admin');
		expect(await outcomes([ada.get('slow/x').set(1), admin.get('slow/x').set(2)])).toEqual(['FORBIDDEN', 'ok']);
		const refusal = await Promise.resolve(ada.get('broken/x').set(1)).catch((error: { code: string; message: string }) => error);
		expect(refusal).toMatchObject({ code: 'FORBIDDEN' });
		expect((refusal as { message: string }).message).not.toContain('secret detail');
		await waitFor(() => reported.some((error) => ((error as { cause?: Error }).cause?.message ?? '').includes('secret detail')), 'the rule error in onError');
		expect(server.get('slow/x').value).toBe(2);
	});

	test('a query sees ctx.query: a rule can bound its limit', async () => {
		const { server, as } = await ruled({ scores: { '.read': ({ query }) => query !== undefined && (query.limitToFirst ?? query.limitToLast ?? Infinity) <= 10 } });
		await server.update(nodeify({ scores: { a: 1, b: 2 } }));
		const ada = as('ada');
		const errors: string[] = [];
		ada.intercept('client:error', (event) => void errors.push(event.code));
		const results: string[][] = [];
		ada.get('scores').orderByValue().limitToLast(100).on((entries) => void results.push(entries.map((entry) => entry.key)));
		ada.get('scores').on(() => void results.push(['whole']));
		ada.get('scores').orderByValue().limitToLast(10).on((entries) => void results.push(entries.map((entry) => entry.key)));
		await waitFor(() => errors.length === 2 && results.length === 1, 'two refusals and one result');
		expect(results).toEqual([['a', 'b']]);
	});

	test('push, transactions, increments and onDisconnect writes are checked, the last when registered and when they fire', async () => {
		const { server, as } = await ruled({
			'.read': true,
			mine: { $uid: { '.write': ({ auth, params }) => auth.uid === params['uid'], count: { '.validate': ({ newData }) => typeof newData === 'number' && newData <= 3 } } },
			status: { $uid: { '.write': ({ auth, params }) => auth.uid === params['uid'], '.validate': ({ newData }) => newData === 'online' || newData === 'offline' } },
		});
		const ada = as('ada');
		expect(
			await outcomes([
				ada.get('mine/bob').push({ x: 1 }),
				ada.get('mine/ada').push({ x: 1 }),
				ada.get('mine/bob/count').transaction(() => 1),
				ada.get('mine/ada/count').transaction(() => 1),
				ada.get('mine/ada/count').set(increment(1)),
				ada.get('mine/ada/count').set(increment(5)),
			]),
		).toEqual(['FORBIDDEN', 'ok', 'FORBIDDEN', 'ok', 'ok', 'FORBIDDEN']);
		expect(server.get('mine/ada/count').value).toBe(2);
		expect(await outcomes([ada.get('status/bob').onDisconnect().set('offline'), ada.get('status/ada').onDisconnect().set('gone')])).toEqual(['FORBIDDEN', 'FORBIDDEN']);
		await ada.get('status/ada').set('online');
		await ada.get('status/ada').onDisconnect().set('offline');
		ada.disconnect();
		await waitFor(() => server.get('status/ada').value === 'offline', 'the onDisconnect write');
	});

	test('a transaction replaces its path: it needs a grant there, not only for the keys it keeps', async () => {
		const { server, as } = await ruled({ '.read': true, doc: { count: { '.write': true } } });
		await server.update(nodeify({ doc: { count: 1, owner: 'bob' } }));
		const ada = as('ada');
		// Writing {count} over doc would remove owner, which no rule lets ada touch.
		expect(await outcomes([ada.get('doc').transaction(() => ({ count: 2 })), ada.get('doc/count').transaction((count) => (count as number) + 1)])).toEqual(['FORBIDDEN', 'ok']);
		expect(held(server, 'doc')).toEqual({ count: 2, owner: 'bob' });
	});

	test('writes the server makes itself are not checked', async () => {
		const { server } = await ruled({});
		await server.update(nodeify({ anything: { at: 'all' } }));
		await server.delete('anything/at');
		expect(held(server, 'anything')).toBeNull();
	});
});
