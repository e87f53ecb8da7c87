import { afterEach, describe, expect, test } from 'vitest';
import {
	afterStart,
	beforeEnd,
	compareEntries,
	isObject,
	MessageType,
	nodeify,
	rangeOf,
	sortValueFor,
	unwrap,
	type Node,
	type QuerySpec,
	type ServerMessage,
	type SortEntry,
	type Store,
} from '@socketdb/core';
import { createLmdbStore } from '@socketdb/store-lmdb';
import { temporaryDirectory } from './helpers/cli';
import { barrier, closeRawSockets, handshake, type Raw } from './helpers/raw';
import { seededRandom } from './helpers/random';
import { cleanup, sameJson, startServer, waitFor } from './helpers/server';

afterEach(async () => {
	closeRawSockets();
	await cleanup();
});

type Window = Map<string, unknown>;

/** The window of query `id` as a client holds it: the last QUERY_RESULT with every QUERY_CHANGES after it applied. */
function heldWindow(raw: Raw, id: number, onChanges?: (message: Extract<ServerMessage, { type: typeof MessageType.QUERY_CHANGES }>, window: Window) => void): Window {
	const window: Window = new Map();
	for (const message of raw.messages) {
		if (message.type === MessageType.QUERY_RESULT && message.id === id) {
			window.clear();
			if ('entries' in message) for (const entry of message.entries) window.set(entry.key, unwrap(entry.node as Node));
		} else if (message.type === MessageType.QUERY_CHANGES && message.id === id) {
			for (const change of message.changes) {
				if (change.node === undefined) window.delete(change.key);
				else window.set(change.key, unwrap(change.node as Node));
			}
			onChanges?.(message, window);
		}
	}
	return window;
}

/** The window computed from scratch: every child sorted, filtered and cut, from the server's tree. */
function expectedWindow(children: unknown, spec: QuerySpec): [string, unknown][] {
	if (!isObject(children)) return [];
	const byKey = spec.orderBy === 'key';
	// A child whose value is null is absent, as the store reads it.
	const present = Object.keys(children).filter((key) => children[key] !== null);
	const entries: SortEntry[] = present.map((key) => ({ key, sort: sortValueFor(spec.orderBy, children[key]) }));
	entries.sort((a, b) => compareEntries(byKey, a, b));
	const { start, end } = rangeOf(spec);
	let inside = entries.filter((entry) => afterStart(byKey, start, entry) && beforeEnd(byKey, end, entry));
	if (spec.limitToFirst !== undefined) inside = inside.slice(0, spec.limitToFirst);
	if (spec.limitToLast !== undefined) inside = inside.slice(Math.max(0, inside.length - spec.limitToLast));
	return inside.map((entry) => [entry.key, children[entry.key]]);
}

/** The client's window in the query's order (the client sorts it itself). */
function ordered(window: Window, spec: QuerySpec): [string, unknown][] {
	return expectedWindow(Object.fromEntries(window), { orderBy: spec.orderBy });
}

const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

describe('queries evaluated on the server', () => {
	test('QUERY_RESULT holds the window in order; QUERY_CHANGES only what entered, changed or left it', async () => {
		const { server, url } = await startServer();
		await server.update(nodeify({ scores: { ada: { points: 5 }, bob: { points: 1 }, cy: { points: 9 }, dee: { points: 7 } } }));
		const raw = await handshake(url);
		const spec: QuerySpec = { orderBy: { child: 'points' }, limitToLast: 2 };
		raw.send({ type: MessageType.QUERY_SUBSCRIBE, id: 1, path: 'scores', query: spec });
		const result = await raw.next(MessageType.QUERY_RESULT, 0);
		expect('entries' in result && result.entries.map((entry) => [entry.key, unwrap(entry.node as Node)])).toEqual([
			['dee', { points: 7 }],
			['cy', { points: 9 }],
		]);

		// Outside the window: nothing is sent.
		let from = raw.messages.length;
		await server.update(nodeify({ scores: { bob: { points: 2 } } }));
		// ada enters (10 > 7), dee leaves.
		await server.update(nodeify({ scores: { ada: { points: 10 } } }));
		const changes = await raw.next(MessageType.QUERY_CHANGES, from);
		expect(changes.changes.map((change) => [change.key, change.node === undefined ? null : unwrap(change.node as Node)]).sort()).toEqual([
			['ada', { points: 10 }],
			['dee', null],
		]);
		expect(raw.messages.slice(from).filter((message) => message.type === MessageType.QUERY_CHANGES)).toHaveLength(1);

		// A change inside the window that keeps its place.
		from = raw.messages.length;
		await server.update(nodeify({ scores: { cy: { name: 'Cy' } } }));
		const inside = await raw.next(MessageType.QUERY_CHANGES, from);
		expect(inside.changes).toHaveLength(1);
		expect(inside.changes[0]!.key).toBe('cy');
		expect(unwrap(inside.changes[0]!.node as Node)).toEqual({ points: 9, name: 'Cy' });

		// Deleting a child of the window brings the next one in.
		await server.delete('scores/ada');
		await waitFor(() => [...heldWindow(raw, 1).keys()].sort().join() === 'cy,dee', 'dee back in');
		// Unsubscribed: nothing more.
		raw.send({ type: MessageType.QUERY_UNSUBSCRIBE, id: 1 });
		from = raw.messages.length;
		await barrier(raw, 'unsubscribed');
		await server.update(nodeify({ scores: { zed: { points: 100 } } }));
		// The change would have gone out in the tick of the update, before the answer to a subscription made after it.
		await barrier(raw, 'updated');
		expect(raw.messages.slice(from).filter((message) => message.type === MessageType.QUERY_CHANGES)).toEqual([]);
	});

	test('a query of keys only carries sort values, never the children, and is quiet about changes that move nothing', async () => {
		const { server, url } = await startServer();
		const bulky = 'x'.repeat(5_000);
		await server.update(nodeify({ scores: { ada: { points: 5, bio: bulky }, bob: { points: 1, bio: bulky }, cy: { points: 9, bio: { long: bulky } }, dee: { points: { best: 3 } } } }));
		const raw = await handshake(url);
		raw.send({ type: MessageType.QUERY_SUBSCRIBE, id: 1, path: 'scores', query: { orderBy: { child: 'points' }, limitToLast: 3 }, keys: true });
		const result = await raw.next(MessageType.QUERY_RESULT, 0);
		// An object's sort value travels as {}: it sorts after every number.
		expect('entries' in result && result.entries.map((entry) => [entry.key, entry.node.value])).toEqual([
			['ada', 5],
			['cy', 9],
			['dee', {}],
		]);

		// bio changes and points does not: the window's keys and order are the same, nothing is sent.
		let from = raw.messages.length;
		await server.update(nodeify({ scores: { ada: { bio: 'short' } } }));
		// Then a change that matters: bob enters with 7, ada (5) leaves.
		await server.update(nodeify({ scores: { bob: { points: 7 } } }));
		const changes = await raw.next(MessageType.QUERY_CHANGES, from);
		expect(changes.changes.map((change) => [change.key, change.node?.value ?? null]).sort()).toEqual([
			['ada', null],
			['bob', 7],
		]);
		expect(raw.messages.slice(from).filter((message) => message.type === MessageType.QUERY_CHANGES)).toHaveLength(1);

		// Ordered by key, every sort value is null.
		from = raw.messages.length;
		raw.send({ type: MessageType.QUERY_SUBSCRIBE, id: 2, path: 'scores', query: { orderBy: 'key', limitToFirst: 2 }, keys: true });
		const byKey = await raw.next(MessageType.QUERY_RESULT, from);
		expect('entries' in byKey && byKey.entries).toEqual([
			{ key: 'ada', node: { value: null } },
			{ key: 'bob', node: { value: null } },
		]);
	});

	test('a malformed query is refused INVALID_QUERY with its number; the connection goes on', async () => {
		const { url } = await startServer();
		const raw = await handshake(url);
		raw.send({ type: MessageType.QUERY_SUBSCRIBE, id: 4, path: 'a', query: { orderBy: 'key', startAt: { value: 1 } } as never });
		const error = await raw.next(MessageType.ERROR, 0);
		expect(error.code).toBe('INVALID_QUERY');
		raw.send({ type: MessageType.QUERY_SUBSCRIBE, id: 5, path: 'a', query: { orderBy: 'key' } });
		const result = await raw.next(MessageType.QUERY_RESULT, 0);
		expect(result).toMatchObject({ id: 5, entries: [] });
	});

	test('server:subscribe sees the query; it may refuse it or narrow its limit', async () => {
		const seen: unknown[] = [];
		const { url } = await startServer({
			plugins: [
				{
					name: 'queries',
					hooks: {
						'server:subscribe': (args) => {
							seen.push(json(args));
							if (args.path === 'secret') throw new Error('not yours');
							if (args.query?.limitToFirst !== undefined && args.query.limitToFirst > 2) return { ...args, query: { ...args.query, limitToFirst: 2 } };
							return args;
						},
					},
				},
			],
		});
		const raw = await handshake(url);
		raw.send({ type: MessageType.QUERY_SUBSCRIBE, id: 1, path: 'secret', query: { orderBy: 'value' } });
		const refused = await raw.next(MessageType.QUERY_RESULT, 0);
		expect(refused).toMatchObject({ id: 1, refused: { code: 'FORBIDDEN' } });
		expect('refused' in refused && refused.refused.message).toContain('not yours');
		expect(seen[0]).toEqual({ path: 'secret', keys: false, query: { orderBy: 'value' } });

		const writer = await handshake(url);
		writer.send({ type: MessageType.SET, seq: 1, path: 'list', node: nodeify({ a: 1, b: 2, c: 3, d: 4 }) as never });
		await writer.answer(1);
		const from = raw.messages.length;
		raw.send({ type: MessageType.QUERY_SUBSCRIBE, id: 2, path: 'list', query: { orderBy: 'value', limitToFirst: 10 } });
		const narrowed = await raw.next(MessageType.QUERY_RESULT, from);
		expect('entries' in narrowed && narrowed.entries.map((entry) => entry.key)).toEqual(['a', 'b']);
	});

	test('queries count against maxSubscriptionsPerConnection', async () => {
		const { url } = await startServer({ limits: { maxSubscriptionsPerConnection: 2 } });
		const raw = await handshake(url);
		raw.send({ type: MessageType.SUBSCRIBE, path: 'x' });
		raw.send({ type: MessageType.QUERY_SUBSCRIBE, id: 1, path: 'a', query: { orderBy: 'key' } });
		raw.send({ type: MessageType.QUERY_SUBSCRIBE, id: 2, path: 'b', query: { orderBy: 'key' } });
		await waitFor(() => raw.messages.filter((message) => message.type === MessageType.QUERY_RESULT).length === 2, 'two answers');
		const answers = raw.messages.filter((message) => message.type === MessageType.QUERY_RESULT);
		expect(answers[0]).toMatchObject({ id: 1, entries: [] });
		expect(answers[1]).toMatchObject({ id: 2, refused: { code: 'TOO_MANY_SUBSCRIPTIONS' } });
		// The same number again replaces the query rather than adding one.
		raw.send({ type: MessageType.QUERY_SUBSCRIBE, id: 1, path: 'c', query: { orderBy: 'value' } });
		await waitFor(() => raw.messages.filter((message) => message.type === MessageType.QUERY_RESULT).length === 3, 'the replacement');
		expect(raw.messages.filter((message) => message.type === MessageType.QUERY_RESULT)[2]).toMatchObject({ id: 1, entries: [] });
	});

	const SEEDS = Number(process.env['QUERY_SEEDS'] ?? 3);
	const runs = Array.from({ length: SEEDS }, (_, index) => [1000 + index, index === 0 ? 'lmdb' : 'memory'] as const);
	test.each(runs)('every live window equals the query computed from scratch after every change (seed %i, %s store)', async (seed, kind) => {
		const directory = kind === 'lmdb' ? temporaryDirectory('socketdb-queries-') : undefined;
		const store = directory === undefined ? undefined : createLmdbStore({ path: directory.path });
		try {
			await randomWindows(seed, store);
		} finally {
			await cleanup();
			await store?.close();
			directory?.remove();
		}
	});

	async function randomWindows(seed: number, store: Store | undefined): Promise<void> {
		const random = seededRandom(seed);
		const { server, url } = await startServer(store === undefined ? {} : { store });
		const raw = await handshake(url);
		const keys = ['1', '2', '10', '-3', 'a', 'b', 'ab', 'z'];
		const values: unknown[] = [null, false, true, 0, 1, 2, 2.5, -1, '', 'a', 'b', { x: 1 }, [1, 2]];
		const pickBound = (byKey: boolean) => (byKey ? random.pick(keys) : random.pick([null, false, true, 0, 1, 2, 'a', 'b', ''] as const));
		const specs: QuerySpec[] = [];
		for (let id = 0; id < 12; id++) {
			const orderBy = random.pick(['key', 'value', { child: 'score' }, { child: 'deep/er' }] as const);
			const byKey = orderBy === 'key';
			const spec: QuerySpec = { orderBy };
			if (random.chance(0.2)) spec.equalTo = byKey ? { value: pickBound(true) } : { value: pickBound(false), ...(random.chance(0.5) ? { key: random.pick(keys) } : {}) };
			else {
				if (random.chance(0.5)) spec.startAt = { value: pickBound(byKey), ...(!byKey && random.chance(0.4) ? { key: random.pick(keys) } : {}), ...(random.chance(0.5) ? { exclusive: true } : {}) };
				if (random.chance(0.5)) spec.endAt = { value: pickBound(byKey), ...(!byKey && random.chance(0.4) ? { key: random.pick(keys) } : {}), ...(random.chance(0.5) ? { exclusive: true } : {}) };
			}
			if (random.chance(0.6)) {
				if (random.chance(0.5)) spec.limitToFirst = 1 + random.int(3);
				else spec.limitToLast = 1 + random.int(3);
			}
			specs.push(spec);
			raw.send({ type: MessageType.QUERY_SUBSCRIBE, id, path: 'items', query: spec });
		}
		await waitFor(() => raw.messages.filter((message) => message.type === MessageType.QUERY_RESULT).length === specs.length, 'every first result');
		// The same queries again from a second connection: one window serves both, and half of
		// them are dropped on the way. Later still, copies on the first connection join in.
		const twin = await handshake(url);
		specs.forEach((spec, id) => twin.send({ type: MessageType.QUERY_SUBSCRIBE, id, path: 'items', query: spec }));
		const held = new Map<number, QuerySpec>(specs.map((spec, id) => [id, spec]));
		const twinHeld = new Map(held);
		const outside: string[] = [];
		const overfull: string[] = [];
		const matches = (connection: Raw, queries: Map<number, QuerySpec>) =>
			[...queries].every(([id, spec]) => sameJson(ordered(heldWindow(connection, id), spec), expectedWindow(unwrap(server.get('items')), spec)));
		const converged = () => matches(raw, held) && matches(twin, twinHeld);
		for (let step = 0; step < 120; step++) {
			if (step === 40) {
				for (let id = 0; id < specs.length; id += 2) {
					twinHeld.delete(id);
					twin.send({ type: MessageType.QUERY_UNSUBSCRIBE, id });
				}
			}
			if (step === 60) {
				specs.forEach((spec, id) => {
					held.set(100 + id, spec);
					raw.send({ type: MessageType.QUERY_SUBSCRIBE, id: 100 + id, path: 'items', query: spec });
				});
			}
			const roll = random.next();
			const key = random.pick(keys);
			if (roll < 0.5) await server.update(nodeify({ items: { [key]: random.chance(0.3) ? random.pick(values) : { score: random.pick(values), deep: { er: random.pick(values) } } } } as never));
			else if (roll < 0.65) await server.update(nodeify({ items: { [key]: { score: random.pick(values) } } } as never));
			else if (roll < 0.85) await server.delete(`items/${key}`);
			else if (roll < 0.9) await server.delete(`items/${key}/score`);
			else if (roll < 0.93) await server.delete('items');
			else if (roll < 0.95) await server.update(nodeify({ items: 'a leaf' } as never));
			else await server.update({ value: { items: { value: { [key]: { meta: { touched: step } } } } } } as never);
			await waitFor(converged, `seed ${seed} step ${step}: the live windows to match`, 2_000).catch((error: unknown) => {
				const items = unwrap(server.get('items'));
				const wrong = [...held].flatMap(([id, spec]) => {
					const window = ordered(heldWindow(raw, id), spec);
					const expected = expectedWindow(items, spec);
					return sameJson(window, expected) ? [] : [{ id, spec, window, expected }];
				});
				throw new Error(`${(error as Error).message}: ${JSON.stringify({ items, wrong })}`);
			});
			// Every message received matched the state it was sent in: nothing outside the window, never more than the limit.
			const now = unwrap(server.get('items'));
			for (const [connection, queries] of [[raw, held], [twin, twinHeld]] as const) {
				for (const [id, spec] of queries) {
					const expected = new Set(expectedWindow(now, spec).map(([k]) => k));
					heldWindow(connection, id, (message, window) => {
						if (message.rev !== server.stats().revision) return;
						for (const change of message.changes) if (change.node !== undefined && !expected.has(change.key)) outside.push(`${id}:${change.key}`);
						const limit = spec.limitToFirst ?? spec.limitToLast;
						if (limit !== undefined && window.size > limit) overfull.push(`${id}@${step}`);
					});
				}
			}
		}
		expect(outside, `seed ${seed}`).toEqual([]);
		expect(overfull, `seed ${seed}`).toEqual([]);
	}
});
