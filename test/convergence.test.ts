import { isDeepStrictEqual } from 'node:util';
import { unwrap, type Store } from '@socketdb/core';
import type { ServerPlugin } from '@socketdb/server';
import { afterEach, describe, expect, test } from 'vitest';
import { createLmdbStore } from '@socketdb/store-lmdb';
import { temporaryDirectory } from './helpers/cli';
import { cleanup, connectClient, startServer, waitFor } from './helpers/server';
import { randomPath, randomValue, seededRandom } from './helpers/random';

afterEach(cleanup);

/**
 * The server refuses any write that holds the string "y", after a moment: clients that showed
 * such a write at once (optimistic) take it back.
 */
const vetoY: ServerPlugin = {
	name: 'veto-y',
	hooks: {
		'server:update': async ({ data }) => {
			if (!JSON.stringify(data).includes('"y"')) return;
			await new Promise((resolve) => setTimeout(resolve, 1));
			throw new Error('no y');
		},
	},
};

/**
 * N clients make random sets, deletes, subscribes and unsubscribes against one server, and
 * go offline and back; once everything settled, every client's view of each path it watches
 * equals the server's and each() has announced every key. Half the clients show their writes
 * at once (optimistic, the default), half only once the server sends them back; the server
 * refuses some writes.
 */
async function converge(seed: number, updateInterval: number, store?: Store): Promise<void> {
	const random = seededRandom(seed);
	const plugins = [vetoY];
	const { server, url } = await startServer(store === undefined ? { updateInterval, plugins } : { updateInterval, store, plugins });
	const clients = Array.from({ length: 4 }, (_, index) => {
		const db = connectClient(url, { optimistic: index % 2 === 0 });
		const watched = new Map<string, { last: unknown; stop: () => void }>();
		const keys = new Map<string, Set<string>>();
		return { db, watched, keys, offline: false };
	});
	const writes: Promise<void>[] = [];
	// Observed at once: a refused write is part of the test, not an error to report.
	const track = (write: PromiseLike<void>) => void writes.push(Promise.resolve(write).catch(() => undefined));

	for (let step = 0; step < 240; step++) {
		const client = random.pick(clients);
		const path = randomPath(random);
		const action = random.int(10);
		if (action < 4) {
			track(client.db.get(path).set(randomValue(random) as never, random.chance(0.2) ? { by: step } : undefined));
		} else if (action < 5) {
			// Several paths below one reference, none at or below another.
			const values: Record<string, unknown> = {};
			for (let i = random.int(3); i >= 0; i--) {
				const key = randomPath(random);
				if (Object.keys(values).some((other) => `${key}/`.startsWith(`${other}/`) || `${other}/`.startsWith(`${key}/`))) continue;
				values[key] = random.chance(0.3) ? null : randomValue(random);
			}
			track(client.db.get(path).update(values));
		} else if (action < 7) {
			track(client.db.get(path).delete());
		} else if (action < 9 && !client.watched.has(path)) {
			const entry: { last: unknown; stop: () => void } = { last: undefined, stop: () => undefined };
			entry.stop = client.db.get(path).on((value) => void (entry.last = value));
			client.watched.set(path, entry);
			if (random.chance(0.3) && !client.keys.has(path)) {
				const seen = new Set<string>();
				client.keys.set(path, seen);
				client.db.get(path).each((_ref, key) => void seen.add(String(key)));
			}
		} else if (client.watched.size > 0) {
			const [first] = client.watched.keys();
			client.watched.get(first!)!.stop();
			client.watched.delete(first!);
		}
		// Now and then a client drops its connection (writes and subscriptions continue offline) or comes back.
		if (random.chance(0.02)) {
			client.offline = !client.offline;
			if (client.offline) client.db.disconnect();
			else client.db.connect(url);
		}
		if (random.chance(0.25)) await new Promise((resolve) => setTimeout(resolve, random.int(3)));
	}
	for (const client of clients) if (client.offline) client.db.connect(url);
	await Promise.allSettled(writes);

	const truth = (path: string) => unwrap(server.get(path));
	// The in-memory store keeps keys in the order they were added, as the clients' mirrors do, so
	// there even the order must match. The LMDB store hands out keys in key order: there the
	// data must match, whatever the order of keys.
	const same = (seen: unknown, server: unknown) => (store === undefined ? JSON.stringify(seen) === JSON.stringify(server) : isDeepStrictEqual(seen, server));
	// Every watched path shows the server's value, and each() has announced every key it holds now.
	const mismatches = () =>
		clients.flatMap((client, index) => [
			...[...client.watched]
				.filter(([path, entry]) => !same(entry.last, truth(path)))
				.map(([path, entry]) => ({ client: index, path, sees: entry.last, server: truth(path) })),
			...[...client.keys].flatMap(([path, seen]) => {
				const value = truth(path);
				if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
				const missed = Object.keys(value).filter((key) => !seen.has(key));
				return missed.length === 0 ? [] : [{ client: index, path, each_missed: missed }];
			}),
		]);
	await waitFor(() => mismatches().length === 0, 'convergence', 3_000).catch(() => undefined);
	expect(mismatches(), `seed ${seed}`).toEqual([]);
}

// CONVERGENCE_SEEDS=n runs seeds 1..n (6 by default, keeping `npm test` quick).
const seeds = Array.from({ length: Number(process.env['CONVERGENCE_SEEDS'] ?? 6) }, (_, index) => index + 1);

describe('randomized convergence (seeded; a failure names its seed)', () => {
	for (const seed of seeds) {
		test(`seed ${seed}, updateInterval 0`, () => converge(seed, 0));
		test(`seed ${seed}, updateInterval 10`, () => converge(seed * 1000, 10));
	}
});

describe('randomized convergence on the LMDB store', () => {
	for (const seed of seeds.slice(0, 3)) {
		test(`seed ${seed}, updateInterval 0`, async () => {
			const directory = temporaryDirectory('socketdb-converge-');
			const store = createLmdbStore({ path: directory.path });
			try {
				await converge(seed + 500, 0, store);
			} finally {
				await cleanup();
				await store.close();
				directory.remove();
			}
		});
	}
});
