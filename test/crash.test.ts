import { SocketDBClient } from '@socketdb/client';
import { MessageType } from '@socketdb/core';
import { createLmdbStore } from '@socketdb/store-lmdb';
import { afterEach, expect, test } from 'vitest';
import { startServe, temporaryDirectory, type ServeProcess } from './helpers/cli';
import { seededRandom } from './helpers/random';
import { handshake } from './helpers/raw';

// CRASH_RUNS=n runs more kill points; each run prints its seed.
const RUNS = Number(process.env['CRASH_RUNS'] ?? 4);
const IN_FLIGHT = 200;

const cleanups: (() => void | Promise<unknown>)[] = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test.each(Array.from({ length: RUNS }, (_, run) => [run, 1000 + run * 7919]))(
	'kill -9 mid-stream (run %i, seed %i): every acknowledged write survives, values and meta',
	async (_run, seed) => {
		const random = seededRandom(seed);
		const data = temporaryDirectory('socketdb-crash-');
		cleanups.push(data.remove);
		const server = await startServe(['--data', data.path, '--update-interval', '0']);
		cleanups.push(() => void server.child.kill('SIGKILL'));

		// Acknowledgements still arrive after the kill (they were on the wire): all of them count.
		let lost!: () => void;
		const connectionLost = new Promise<void>((resolve) => (lost = resolve));
		const db = SocketDBClient({ plugins: [{ name: 'crash', hooks: { 'client:error': () => undefined, 'client:disconnect': () => lost() } }] });
		db.connect(server.url);
		cleanups.push(() => db.disconnect());
		const acknowledged: number[] = [];
		let next = 0;
		let stopped = false;
		const write = () => {
			if (stopped) return;
			const i = next++;
			db.get(`items/${i}`)
				.set({ i, text: `value ${i}` }, { written: i })
				.then(
					() => {
						acknowledged.push(i);
						write();
					},
					() => undefined,
				);
		};
		for (let k = 0; k < IN_FLIGHT; k++) write();
		const killAfterMs = 100 + random.int(900);
		setTimeout(() => server.child.kill('SIGKILL'), killAfterMs);
		await connectionLost;
		stopped = true;
		db.disconnect();
		expect(acknowledged.length, `seed ${seed}: writes acknowledged before the kill at ${killAfterMs} ms`).toBeGreaterThan(100);
		await server.exited;

		// What the dead server left on disk, read straight from the directory.
		const store = createLmdbStore({ path: data.path });
		const items = (store.get('items')?.value ?? {}) as Record<string, unknown>;
		const missing = acknowledged.filter((i) => items[i] === undefined).slice(0, 20);
		expect(missing, `seed ${seed}: acknowledged but lost`).toEqual([]);
		for (const i of acknowledged) {
			expect(items[i], `seed ${seed}: item ${i}`).toEqual({ value: { i: { value: i }, text: { value: `value ${i}` } }, meta: { written: i } });
		}
		await store.close();

		// And a restarted server reads and writes it.
		const restarted = await startServe(['--data', data.path]);
		cleanups.push(() => void restarted.child.kill('SIGKILL'));
		const reader = SocketDBClient();
		reader.connect(restarted.url);
		cleanups.push(() => reader.disconnect());
		const last = acknowledged[acknowledged.length - 1]!;
		const read = await new Promise<unknown>((resolve) => reader.get(`items/${last}`).once((value, meta) => resolve({ value, meta })));
		expect(read).toEqual({ value: { i: last, text: `value ${last}` }, meta: { written: last } });
		await reader.get('after-restart').set({ ok: true });
		expect(await new Promise((resolve) => reader.get('after-restart/ok').once(resolve))).toBe(true);
	},
	60_000,
);

test('a restart after a clean stop is the same database; one after kill -9 is another (a crash can take back revisions subscribers saw)', async () => {
	const data = temporaryDirectory('socketdb-crash-');
	cleanups.push(data.remove);
	/** Starts serve on the directory, makes a change if given one, and says which database it is. */
	const run = async (value?: number) => {
		const server = await startServe(['--data', data.path, '--no-inspector']);
		cleanups.push(() => void server.child.kill('SIGKILL'));
		const raw = await handshake(server.url);
		cleanups.push(() => raw.ws.terminate());
		if (value !== undefined) {
			raw.send({ type: MessageType.SET, seq: 1, path: 'n', node: { value } });
			expect(await raw.answer(1)).toEqual({ type: MessageType.ACK, seq: 1, rev: expect.any(Number) });
		}
		const welcome = await raw.next(MessageType.WELCOME, 0);
		return { server, database: welcome.db };
	};
	const stop = async (server: ServeProcess, signal: NodeJS.Signals) => {
		server.child.kill(signal);
		await server.exited;
	};
	const first = await run(1);
	expect(first.database).toEqual(expect.any(String));
	await stop(first.server, 'SIGTERM');
	// Killed before it changed anything: it had been serving all the same.
	const second = await run();
	expect(second.database).toBe(first.database);
	await stop(second.server, 'SIGKILL');
	const third = await run(3);
	expect(third.database).not.toBe(second.database);
	await stop(third.server, 'SIGKILL');
	const fourth = await run();
	expect(fourth.database).not.toBe(third.database);
}, 30_000);
