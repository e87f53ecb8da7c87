import { afterEach, describe, expect, test } from 'vitest';
import { increment } from '@socketdb/client';
import { MessageType } from '@socketdb/core';
import { WRITE_WINDOW } from '../client/src/outbox';
import { cleanup, connectClient, sameJson, startServer, waitFor } from './helpers/server';
import { randomNumbers } from './helpers/random';
import { wireSpy } from './helpers/wire-spy';

afterEach(cleanup);

const WRITES = 6 * WRITE_WINDOW;

/** A client whose sent messages are recorded. */
function spiedClient(url: string) {
	const spy = wireSpy();
	return { db: connectClient(url, { socketClient: spy.socketClient }), sets: () => spy.sent.filter((message) => message.type === MessageType.SET).length };
}

/** The whole tree as another client reads it. */
async function treeOf(url: string): Promise<unknown> {
	const reader = connectClient(url);
	return new Promise((resolve) => reader.get('').once((data) => resolve(data)));
}

describe('a writer far ahead of the server, at the default interval', () => {
	test('sets to one path that waited travel combined, every write settles, and every path ends as written', async () => {
		const { url, server, errors } = await startServer({ updateInterval: 50 });
		let changes = 0;
		server.intercept('server:change', () => void changes++);
		const { db, sets } = spiedClient(url);
		const watcher = connectClient(url);
		const seen: unknown[] = [];
		watcher.get('users/7').on((value) => seen.push(value));
		await db.get('ready').set(true);
		const writes = Array.from({ length: WRITES }, (_, index) => db.get(`users/${index % 10}`).set({ n: index, [`k${index % 3}`]: index }));
		await Promise.all(writes);
		// Each write settled; far fewer travelled.
		expect(sets()).toBeLessThan(WRITES / 2);
		expect(changes).toBeLessThan(WRITES / 2);
		const expected = Object.fromEntries(Array.from({ length: 10 }, (_, user) => [user, Object.fromEntries([...[0, 1, 2].map((k) => [`k${k}`, lastIndex(user, (index) => index % 3 === k)]), ['n', lastIndex(user, () => true)]])]));
		expect(sameJson(await treeOf(url), { ready: true, users: expected })).toBe(true);
		await waitFor(() => sameJson(seen.at(-1), expected[7]), 'the watcher to see the last value');
		expect(errors).toEqual([]);
	});

	test('a set of an ancestor between two sets of one path keeps them apart, and so does a delete', async () => {
		const { url, errors } = await startServer({ updateInterval: 50 });
		const { db, sets } = spiedClient(url);
		await db.get('ready').set(true);
		const filler = Array.from({ length: WRITE_WINDOW }, (_, index) => db.get(`filler/${index}`).set(index));
		const waiting = [
			db.get('g/a/x').set({ p: 1 }),
			db.get('g/a').set(5),
			db.get('g/a/x').set({ s: 1 }),
			db.get('h/x').set({ p: 1 }),
			db.get('h').delete(),
			db.get('h/x').set({ s: 1 }),
			db.get('i/x').set({ p: 1 }),
			db.get('other').set(1),
			db.get('i/x').set({ s: 1 }),
		];
		await Promise.all([...filler, ...waiting]);
		const tree = (await treeOf(url)) as Record<string, unknown>;
		expect([tree['g'], tree['h'], tree['i']]).toEqual([{ a: { x: { s: 1 } } }, { x: { s: 1 } }, { x: { p: 1, s: 1 } }]);
		// Only the two sets of i/x, with nothing related between them, travelled as one.
		expect(sets()).toBe(1 + WRITE_WINDOW + waiting.length - 2);
		expect(errors).toEqual([]);
	});

	test('with a server:update hook, every write is sent and decided alone', async () => {
		const { url, server, errors } = await startServer({ updateInterval: 50 });
		let decided = 0;
		server.intercept('server:update', () => void decided++);
		const { db, sets } = spiedClient(url);
		await db.get('ready').set(true);
		decided = 0;
		await Promise.all(Array.from({ length: 3 * WRITE_WINDOW }, (_, index) => db.get('counter').set(index)));
		expect(sets()).toBe(1 + 3 * WRITE_WINDOW);
		expect(decided).toBe(3 * WRITE_WINDOW);
		expect(errors).toEqual([]);
	});

	test('with updateInterval 0, every write travels and every value reaches subscribers', async () => {
		const { url, errors } = await startServer({ updateInterval: 0 });
		const { db, sets } = spiedClient(url);
		const watcher = connectClient(url);
		const seen: unknown[] = [];
		watcher.get('counter').on((value) => seen.push(value));
		await waitFor(() => seen.length === 1, 'the first value');
		await Promise.all(Array.from({ length: 3 * WRITE_WINDOW }, (_, index) => db.get('counter').set(index)));
		expect(sets()).toBe(3 * WRITE_WINDOW);
		await waitFor(() => seen.at(-1) === 3 * WRITE_WINDOW - 1, 'the last value');
		expect(seen).toEqual([null, ...Array.from({ length: 3 * WRITE_WINDOW }, (_, index) => index)]);
		expect(errors).toEqual([]);
	});

	test('random sets, deletes, updates and increments on related paths end as when every write is decided alone (seeded)', async () => {
		for (const seed of [1, 2, 3]) {
			const random = randomNumbers(seed);
			// Groups of related paths, few writes each, so that what one write leaves is seldom written over.
			const paths = Array.from({ length: 40 }, (_, group) => [`g${group}`, `g${group}/a`, `g${group}/b`, `g${group}/a/x`, `g${group}/a/x/deep`]).flat();
			const pick = () => paths[Math.floor(random() * paths.length)]!;
			const value = () => (random() < 0.3 ? Math.floor(random() * 5) : random() < 0.5 ? { p: Math.floor(random() * 3), q: { r: random() < 0.5 } } : { s: 'v' });
			type Op = (db: ReturnType<typeof connectClient>) => PromiseLike<unknown>;
			const ops: Op[] = Array.from({ length: 4 * WRITE_WINDOW }, () => {
				const roll = random();
				const path = pick();
				const written = value();
				const meta = random() < 0.2 ? { by: random() < 0.5 ? 'x' : { id: 1 } } : undefined;
				if (roll < 0.8) return (db) => db.get(path).set(written as never, meta as never);
				if (roll < 0.88) return (db) => db.get(path).delete();
				if (roll < 0.95) return (db) => db.get(path).update({ u: written } as never);
				return (db) => db.get(`${path}/count`).set(increment(1) as never);
			});
			const combining = await startServer({ updateInterval: 50 });
			const alone = await startServer({ updateInterval: 50 });
			alone.server.intercept('server:update', () => undefined);
			const trees: unknown[] = [];
			for (const { url } of [combining, alone]) {
				const { db } = spiedClient(url);
				await db.get('start').set(true);
				await Promise.allSettled(ops.map((op) => op(db)));
				trees.push(await treeOf(url));
			}
			expect(trees[0], `seed ${seed}`).toEqual(trees[1]);
			expect(combining.errors).toEqual([]);
		}
	});
});

/** The last index below WRITES that wrote `user` and satisfies `also`. */
function lastIndex(user: number, also: (index: number) => boolean): number {
	for (let index = WRITES - 1; index >= 0; index--) if (index % 10 === user && also(index)) return index;
	throw new Error('no such write');
}
