import { isDeepStrictEqual } from 'node:util';
import { unwrap } from '@socketdb/core';
import { afterEach, describe, expect, test } from 'vitest';
import { startChaosProxy, type ChaosProxy } from './helpers/chaos-proxy';
import { randomPath, randomValue, seededRandom } from './helpers/random';
import { cleanup, connectClient, startServer, waitFor } from './helpers/server';

// CHAOS_SEEDS=n runs seeds 1..n; `npm run test:chaos` runs 100, `npm test` a few. CHAOS_VERBOSE=1 prints what each seed did.
const SEEDS = Number(process.env['CHAOS_SEEDS'] ?? 6);
const CLIENTS = 6;
const STEPS = 200;

const proxies: ChaosProxy[] = [];
afterEach(async () => {
	await cleanup();
	for (const proxy of proxies.splice(0)) await proxy.close();
});

/**
 * Clients write, delete, subscribe and unsubscribe at random while their connections are cut
 * with TCP resets (often with writes on the wire) and closed and reopened. Afterwards every
 * write was acknowledged exactly as sent, every acknowledged write is in the tree, and every
 * client sees the server's value at every path it watches.
 */
async function chaos(seed: number): Promise<void> {
	const random = seededRandom(seed);
	const { server, port } = await startServer({ updateInterval: seed % 2 === 0 ? 0 : 10 });
	const clients = await Promise.all(
		Array.from({ length: CLIENTS }, async (_, index) => {
			const proxy = await startChaosProxy({ port });
			proxies.push(proxy);
			return { index, proxy, db: connectClient(proxy.url), watched: new Map<string, { last: unknown; stop: () => void }>(), offline: false, journal: 0 };
		}),
	);
	const writes: Promise<unknown>[] = [];
	const journal = new Map<string, unknown>();
	const acknowledged = new Set<string>();
	const refused: string[] = [];
	let resets = 0;

	for (let step = 0; step < STEPS; step++) {
		const client = random.pick(clients);
		const action = random.int(20);
		if (action < 8) {
			writes.push(Promise.resolve(client.db.get(`shared/${randomPath(random)}`).set(randomValue(random) as never)).catch(() => undefined));
		} else if (action < 10) {
			writes.push(Promise.resolve(client.db.get(`shared/${randomPath(random)}`).delete()).catch(() => undefined));
		} else if (action < 13) {
			// Journal entries are written once and never touched again: each must survive.
			const key = `journal/c${client.index}/${client.journal++}`;
			const value = { step, seed, by: client.index };
			journal.set(key, value);
			writes.push(
				Promise.resolve(client.db.get(key).set(value)).then(
					() => void acknowledged.add(key),
					(error: Error) => void refused.push(`${key}: ${error.message}`),
				),
			);
		} else if (action < 16) {
			const path = `shared/${randomPath(random)}`;
			if (!client.watched.has(path)) {
				const entry = { last: undefined as unknown, stop: () => undefined as void };
				entry.stop = client.db.get(path).on((value) => void (entry.last = value));
				client.watched.set(path, entry);
			}
		} else if (action < 17) {
			const [first] = client.watched.keys();
			if (first !== undefined) {
				client.watched.get(first)!.stop();
				client.watched.delete(first);
			}
		} else if (action < 19) {
			// Cut the connection now or a moment later, while this tick's writes are on their way.
			const cut = () => void (resets += client.proxy.reset());
			if (random.chance(0.5)) cut();
			else setTimeout(cut, random.int(4));
		} else {
			client.offline = !client.offline;
			if (client.offline) client.db.disconnect();
			else client.db.connect(client.proxy.url);
		}
		if (random.chance(0.3)) await new Promise((resolve) => setTimeout(resolve, random.int(3)));
	}
	for (const client of clients) if (client.offline) client.db.connect(client.proxy.url);
	let settled = false;
	void Promise.all(writes).then(() => (settled = true));
	await waitFor(() => settled, `seed ${seed}: every write answered`, 15_000);

	expect(refused, `seed ${seed}: refused journal writes`).toEqual([]);
	expect(acknowledged.size, `seed ${seed}`).toBe(journal.size);
	for (const [key, value] of journal) expect(unwrap(server.get(key)), `seed ${seed}: ${key}`).toEqual(value);

	const truth = (path: string) => unwrap(server.get(path));
	const mismatches = () =>
		clients.flatMap((client) =>
			[...client.watched].filter(([path, entry]) => !isDeepStrictEqual(entry.last, truth(path))).map(([path, entry]) => ({ client: client.index, path, sees: entry.last, server: truth(path) })),
		);
	await waitFor(() => mismatches().length === 0, 'convergence', 5_000).catch(() => undefined);
	expect(mismatches(), `seed ${seed} (${resets} connections reset)`).toEqual([]);
	// Every connection closed leaves nothing behind on the server.
	for (const client of clients) client.db.disconnect();
	await waitFor(() => server.getClients().length === 0, `seed ${seed}: connections closed on the server`, 5_000);
	if (process.env['CHAOS_VERBOSE']) console.log(`seed ${seed}: ${resets} resets, ${journal.size} journal writes, ${writes.length} writes, ${clients.reduce((n, c) => n + c.watched.size, 0)} watched`);
}

describe('chaos: random writes and subscriptions over connections cut with TCP resets (seeded)', () => {
	for (let seed = 1; seed <= SEEDS; seed++) test(`seed ${seed}`, () => chaos(seed), 60_000);
});
