import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, MessageType, nodeify, openSliceReader, unwrap, type Node, type ServerMessage, type Store } from '@socketdb/core';
import { createLmdbStore } from '@socketdb/store-lmdb';
import { afterEach, describe, expect, test } from 'vitest';
import { closeRawSockets, handshake } from './helpers/raw';
import { seededRandom } from './helpers/random';
import { barrier, cleanup, connectClient, record, sameJson, settle, startServer, waitFor } from './helpers/server';

const directories: string[] = [];
afterEach(async () => {
	closeRawSockets();
	await cleanup();
	for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** `users/u<i>/f<j>`: `users` objects of `fields` leaves each, far more than one slice holds. */
function users(count: number, fields: number): Record<string, Record<string, unknown>> {
	const tree: Record<string, Record<string, unknown>> = {};
	for (let u = 0; u < count; u++) {
		const user: Record<string, unknown> = {};
		for (let f = 0; f < fields; f++) user[`f${f}`] = f % 4 === 0 ? `text ${u}:${f}` : u * 1000 + f;
		tree[`u${u}`] = user;
	}
	return tree;
}

/** The node of plain test data, for `server.update`. */
const tree = (data: unknown) => nodeify(data as never) as never;

const stores: Record<string, () => Store> = {
	'in memory': () => createStore(),
	'on LMDB': () => {
		const directory = mkdtempSync(join(tmpdir(), 'socketdb-stream-'));
		directories.push(directory);
		return createLmdbStore({ path: directory });
	},
};

const types = (messages: ServerMessage[]) => messages.map((message) => message.type);

describe.each(Object.entries(stores))('streamed snapshots, %s', (_, makeStore) => {
	test('a large value arrives in slices, and listeners get it once, whole', async () => {
		const store = makeStore();
		const { url, server } = await startServer({ store });
		await server.update(tree({ users: users(200, 30), small: { a: 1 } }));
		const raw = await handshake(url);
		raw.send({ type: MessageType.SUBSCRIBE, path: 'users' });
		const end = await raw.next(MessageType.SNAPSHOT_END, 0);
		const received = types(raw.messages);
		expect(received[1]).toBe(MessageType.SNAPSHOT);
		expect(raw.messages[1]).toMatchObject({ more: true, id: end.id });
		expect(received.filter((type) => type === MessageType.SNAPSHOT_PART).length).toBeGreaterThan(2);

		const db = connectClient(url);
		const seen = record(db.get('users'));
		const below = record(db.get('users/u150/f3'));
		await waitFor(() => seen.values.length > 0 && below.values.length > 0, 'the value');
		await settle(db);
		expect(seen.values).toHaveLength(1);
		expect(sameJson(seen.values[0], unwrap(server.get('users')))).toBe(true);
		expect(below.values).toEqual([150_003]);
	});

	test('a small value is still one SNAPSHOT', async () => {
		const store = makeStore();
		const { url, server } = await startServer({ store });
		await server.update(tree({ users: users(3, 3) }));
		const raw = await handshake(url);
		raw.send({ type: MessageType.SUBSCRIBE, path: 'users' });
		const snapshot = await raw.next(MessageType.SNAPSHOT, 0);
		expect('more' in snapshot).toBe(false);
		expect(unwrap(snapshot.node as Node)).toEqual(users(3, 3));
		// Answered after whatever the server had to send before.
		raw.send({ type: MessageType.SUBSCRIBE, path: 'marker' });
		await raw.next(MessageType.SNAPSHOT, 2);
		expect(types(raw.messages)).toEqual([MessageType.WELCOME, MessageType.SNAPSHOT, MessageType.SNAPSHOT]);
	});

	test('unsubscribing, or subscribing again, stops the stream that runs', async () => {
		const store = makeStore();
		const { url, server } = await startServer({ store });
		await server.update(tree({ users: users(200, 30) }));
		const raw = await handshake(url);
		raw.send({ type: MessageType.SUBSCRIBE, path: 'users' }, { type: MessageType.UNSUBSCRIBE, path: 'users' });
		// Another connection's stream of the same value runs to its end meanwhile: this one had time to go on, were it not stopped.
		const other = await handshake(url);
		other.send({ type: MessageType.SUBSCRIBE, path: 'users' });
		await other.next(MessageType.SNAPSHOT_END, 0);
		expect(types(raw.messages)).toEqual([MessageType.WELCOME, MessageType.SNAPSHOT]);

		const from = raw.messages.length;
		raw.send({ type: MessageType.SUBSCRIBE, path: 'users' }, { type: MessageType.SUBSCRIBE, path: 'users' });
		await raw.next(MessageType.SNAPSHOT_END, from);
		raw.send({ type: MessageType.SUBSCRIBE, path: 'marker' });
		const marker = await raw.next(MessageType.SNAPSHOT, raw.messages.length);
		const again = types(raw.messages.slice(from, raw.messages.indexOf(marker)));
		expect(again.slice(0, 2)).toEqual([MessageType.SNAPSHOT, MessageType.SNAPSHOT]);
		expect(again.slice(2).every((type) => type === MessageType.SNAPSHOT_PART || type === MessageType.SNAPSHOT_END)).toBe(true);
		expect(again.filter((type) => type === MessageType.SNAPSHOT_END)).toHaveLength(1);
	});

	test('a client closing mid-stream ends it; the server carries on', async () => {
		const store = makeStore();
		const { url, server, errors } = await startServer({ store });
		await server.update(tree({ users: users(200, 30) }));
		for (let i = 0; i < 3; i++) {
			const raw = await handshake(url);
			raw.send({ type: MessageType.SUBSCRIBE, path: 'users' });
			await raw.next(MessageType.SNAPSHOT, 0);
			raw.ws.terminate();
		}
		const db = connectClient(url);
		const seen = record(db.get('users/u7/f1'));
		await waitFor(() => seen.values.length === 1, 'a read after the closed streams');
		expect(seen.values).toEqual([7001]);
		expect(errors).toEqual([]);
	});

	// Writers set and delete under a large subtree while a client streams it; afterwards the
	// client must hold exactly what the server holds.
	for (const seed of [11, 12, 13]) {
		test(`changes made during the stream all arrive (seed ${seed})`, async () => {
			const random = seededRandom(seed);
			const store = makeStore();
			const { url, server } = await startServer({ store });
			await server.update(tree({ users: users(300, 30) }));
			const writers = [connectClient(url), connectClient(url)];
			await Promise.all(writers.map((writer) => writer.get('users/u0/f0').set('ready')));
			const reader = connectClient(url);
			const done = barrier(reader);

			let streaming = true;
			const writes: PromiseLike<unknown>[] = [];
			const write = () => {
				const writer = random.pick(writers);
				const user = `users/u${random.int(320)}`;
				const roll = random.next();
				if (roll < 0.1) writes.push(writer.get(user).delete());
				else if (roll < 0.2) writes.push(writer.get(`${user}/f${random.int(32)}`).delete());
				else if (roll < 0.25) writes.push(writer.get(user).set(random.chance(0.5) ? `leaf ${random.int(9)}` : { fresh: random.int(9) }));
				else if (roll < 0.3) writes.push(writer.get(user).set({ nested: { deep: random.int(9) } }, { by: `writer ${random.int(3)}` }));
				else writes.push(writer.get(`${user}/f${random.int(32)}`).set(random.int(100_000)));
			};
			const writing = (async () => {
				while (streaming) {
					for (let i = 1 + random.int(5); i > 0; i--) write();
					await new Promise((resolve) => setImmediate(resolve));
				}
			})();
			const seen = record(reader.get('users'));
			await waitFor(() => seen.values.length > 0, `the streamed value (seed ${seed})`, 10_000);
			for (let i = 0; i < 20; i++) write();
			streaming = false;
			await writing;
			await Promise.all(writes.map((outcome) => Promise.resolve(outcome)));
			await done();
			expect(sameJson(seen.last(), unwrap(server.get('users'))), `seed ${seed}: the client's value equals the server's`).toBe(true);
		});
	}
});

test('a connection lost mid-stream: the client subscribes again and its listeners get the value once, whole', async () => {
	const inner = createStore();
	let streams = 0;
	let cut = false;
	const store: Store = {
		get: (path) => inner.get(path),
		put: (diff) => inner.put(diff),
		del: (path) => inner.del(path),
		readSlices(path) {
			const reader = openSliceReader(inner, path);
			const stream = ++streams;
			let slices = 0;
			return {
				next(budget) {
					// The first stream loses its connection after its third slice.
					if (stream === 1 && ++slices === 3) {
						cut = true;
						setImmediate(() => server.getClients()[0]?.close());
					}
					return reader.next(budget);
				},
			};
		},
	};
	const { url, server } = await startServer({ store });
	await server.update(tree({ users: users(300, 30) }));
	const db = connectClient(url);
	const seen = record(db.get('users'));
	await waitFor(() => seen.values.length > 0, 'the value after the reconnect', 10_000);
	await settle(db);
	expect(cut).toBe(true);
	expect(streams).toBeGreaterThanOrEqual(2);
	expect(seen.values).toHaveLength(1);
	expect(sameJson(seen.values[0], unwrap(server.get('users')))).toBe(true);
});

test('a store with neither slices nor a live tree: one get, sent in slices, with changes after them', async () => {
	const inner = createStore();
	const store: Store = { get: (path) => structuredClone(inner.get(path)), put: (diff) => inner.put(diff), del: (path) => inner.del(path) };
	const { url, server } = await startServer({ store });
	await server.update(tree({ users: users(200, 30) }));
	const raw = await handshake(url);
	raw.send({ type: MessageType.SUBSCRIBE, path: 'users' });
	await raw.next(MessageType.SNAPSHOT, 0);
	await server.update(tree({ users: { u1: { f1: 'changed' } } }));
	await raw.next(MessageType.DATA, 0);
	const received = types(raw.messages);
	expect(received.indexOf(MessageType.DATA)).toBeGreaterThan(received.indexOf(MessageType.SNAPSHOT_END));
	expect(received.filter((type) => type === MessageType.SNAPSHOT_PART).length).toBeGreaterThan(2);

	const db = connectClient(url);
	const seen = record(db.get('users'));
	await waitFor(() => seen.values.length > 0, 'the value');
	expect(sameJson(seen.last(), unwrap(server.get('users')))).toBe(true);
});

describe('limits.maxSnapshotBytes', () => {
	const quiet = (errors: { code: string; message: string }[]) => ({ name: 'errors', hooks: { 'client:error': (event: { code: string; message: string }) => void errors.push(event) } });

	test('a larger value is refused with PAYLOAD_TOO_LARGE; the client drops it, stays usable, and reads smaller paths', async () => {
		const { url, server, errors: reported } = await startServer({ limits: { maxSnapshotBytes: 50_000 } });
		await server.update(tree({ users: users(200, 30) }));
		const errors: { code: string; message: string }[] = [];
		const db = connectClient(url, { plugins: [quiet(errors)] });
		const whole: unknown[] = [];
		db.get('').once((value) => void whole.push(value));
		const below = record(db.get('users/u3/f1'));
		await waitFor(() => errors.length > 0, 'the refusal');
		expect(errors[0]!.code).toBe('PAYLOAD_TOO_LARGE');
		expect(errors[0]!.message).toContain('the value at "" is larger than limits.maxSnapshotBytes (50000 bytes)');
		expect(errors[0]!.message).toContain('onKeys()');
		expect(reported.map((error) => (error as { code?: string }).code)).toEqual(['PAYLOAD_TOO_LARGE']);

		// A listener below the refused path is served by a subscription of its own.
		await waitFor(() => below.values.length === 1, 'the value below');
		expect(below.values).toEqual([3001]);
		await db.get('users/u3/f1').set('written');
		await waitFor(() => below.last() === 'written', 'a change below');
		const small = record(db.get('users/u9'));
		await waitFor(() => small.values.length === 1, 'a smaller subscription');
		expect(small.values[0]).toEqual(users(10, 30)['u9']);
		await settle(db);
		expect(whole).toEqual([]);
		expect(errors).toHaveLength(1);
	});

	test('the server stops at the limit and drops the subscription: nothing more for that path', async () => {
		const { url, server } = await startServer({ limits: { maxSnapshotBytes: 50_000 } });
		await server.update(tree({ users: users(200, 30) }));
		const raw = await handshake(url);
		raw.send({ type: MessageType.SUBSCRIBE, path: 'users' });
		const abort = await raw.next(MessageType.SNAPSHOT_ABORT, 0);
		expect(abort).toMatchObject({ path: 'users', code: 'PAYLOAD_TOO_LARGE' });
		const sent = raw.messages.filter((message) => message.type === MessageType.SNAPSHOT || message.type === MessageType.SNAPSHOT_PART);
		expect(sent.length).toBeGreaterThan(0);
		expect(types(raw.messages)).not.toContain(MessageType.SNAPSHOT_END);
		raw.send({ type: MessageType.SUBSCRIBE, path: 'marker' });
		const watched = await raw.next(MessageType.SNAPSHOT, raw.messages.length);
		const count = raw.messages.length;
		await server.update(tree({ users: { u1: { f1: 'changed' } } }));
		// A change of a path it still watches, made after: once it arrived, a change of users would have too.
		await server.update(tree({ marker: 'changed' }));
		const markerChange = await raw.next(MessageType.DATA, count);
		expect(markerChange).toMatchObject({ id: watched.id });
		expect(raw.messages).toHaveLength(count + 1);

		// The same connection subscribes to a smaller path.
		raw.send({ type: MessageType.SUBSCRIBE, path: 'users/u1' });
		const snapshot = await raw.next(MessageType.SNAPSHOT, count);
		expect(unwrap(snapshot.node as Node)).toMatchObject({ f1: 'changed', f2: 1002 });
	});

	test('a value whose first slice is already too large is refused before anything is sent', async () => {
		const { url, server } = await startServer({ limits: { maxSnapshotBytes: 1_000 } });
		await server.update(tree({ doc: { text: 'x'.repeat(5_000) } }));
		const raw = await handshake(url);
		raw.send({ type: MessageType.SUBSCRIBE, path: 'doc' });
		const abort = await raw.next(MessageType.SNAPSHOT_ABORT, 0);
		expect(abort).toMatchObject({ path: 'doc', code: 'PAYLOAD_TOO_LARGE' });
		expect(types(raw.messages)).toEqual([MessageType.WELCOME, MessageType.SNAPSHOT_ABORT]);
	});
});
