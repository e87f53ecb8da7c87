import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cloneNode, createStore, mergeSlice, nodeify, type Node, type SliceBudget, type SliceReader } from '@socketdb/core';
import { describeStoreContract } from '@socketdb/core/testing';
import { createLmdbStore } from './lmdb-store';
import { grid } from '../../test/helpers/data';

const directories: string[] = [];
function freshDirectory(): string {
	const directory = mkdtempSync(join(tmpdir(), 'socketdb-lmdb-'));
	directories.push(directory);
	return directory;
}
afterAll(() => {
	for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

describeStoreContract('lmdb', () => createLmdbStore({ path: freshDirectory() }));

describe('lmdb store', () => {
	test('reads its own writes before they are committed', async () => {
		const store = createLmdbStore({ path: freshDirectory() });
		store.put(nodeify({ a: { b: 1, c: { d: 2 } } }));
		store.del('a/c');
		store.put(nodeify({ a: { c: { e: 3 } } }));
		expect(store.get('a')).toEqual(nodeify({ b: 1, c: { e: 3 } }));
		await store.flush();
		expect(store.get('a')).toEqual(nodeify({ b: 1, c: { e: 3 } }));
		await store.close();
	});

	test('a reopened directory holds every flushed write, values and meta', async () => {
		const path = freshDirectory();
		const store = createLmdbStore({ path });
		store.put({ value: { users: { value: { ada: { value: { name: { value: 'Ada', meta: { by: 'x' } } } } }, meta: { n: 1 } } }, meta: { root: true } });
		store.put(nodeify({ list: [1, { two: 2 }], empty: '', nothing: null }));
		store.del('users/ada/name');
		store.put(nodeify({ users: { bob: { age: 3 } } }));
		await store.close();

		const reopened = createLmdbStore({ path });
		expect(reopened.get()).toEqual({
			meta: { root: true },
			value: {
				users: { meta: { n: 1 }, value: { ada: { value: {} }, bob: { value: { age: { value: 3 } } } } },
				list: { value: [1, { two: 2 }] },
				empty: { value: '' },
				nothing: { value: null },
			},
		});
		await reopened.close();
	});

	test('writes spread over many turns keep their order', async () => {
		const path = freshDirectory();
		const store = createLmdbStore({ path });
		for (let i = 0; i < 200; i++) {
			store.put(nodeify({ counter: i, [`k${i % 7}`]: { i } }));
			if (i % 3 === 0) store.del(`k${(i + 1) % 7}`);
			if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
		}
		const before = store.get();
		await store.close();
		const reopened = createLmdbStore({ path });
		expect(reopened.get()).toEqual(before);
		expect(reopened.get('counter')).toEqual({ value: 199 });
		await reopened.close();
	});

	test('has tells whether a node exists, null or not, and keys lists children without reading below them', async () => {
		const store = createLmdbStore({ path: freshDirectory() });
		store.put(nodeify({ a: { b: 1, n: null } }));
		expect(store.has('a')).toBe(true);
		expect(store.has('a/b')).toBe(true);
		expect(store.has('a/n')).toBe(true);
		expect(store.has('a/x')).toBe(false);
		store.put(nodeify({ a: { c: { deep: { deeper: 1 } }, 'c-d': 2, c0: 3 } }));
		expect(store.keys('a').sort()).toEqual(['b', 'c', 'c-d', 'c0', 'n']);
		await store.flush();
		store.del('a/c-d');
		store.put(nodeify({ a: { e: 4 } }));
		expect(store.keys('a').sort()).toEqual(['b', 'c', 'c0', 'e', 'n']);
		expect(store.keys('').sort()).toEqual(['a']);
		expect(store.keys('a/b')).toEqual([]);
		expect(store.keys('missing')).toEqual([]);
		await store.close();
	});

	test('count includes writes not yet committed, as get, keys and has do', async () => {
		const store = createLmdbStore({ path: freshDirectory() });
		store.put(nodeify({ a: { b: 1, c: { d: 2 } }, e: 3 }));
		await store.flush();
		store.del('a/c');
		store.put(nodeify({ a: { f: { g: 4 } }, h: 5 }));
		// A committed leaf turned into an object: its key is both on disk and pending.
		store.put(nodeify({ e: { now: 'an object' } }));
		const paths = ['', 'a', 'a/c', 'a/f', 'e', 'h', 'missing'];
		const pending = paths.map((path) => store.count(path));
		expect(pending).toEqual([7, 4, 0, 2, 2, 1, 0]);
		await store.flush();
		expect(paths.map((path) => store.count(path))).toEqual(pending);
		await store.close();
	});

	test('a directory whose name has a dot is a data directory like any other', async () => {
		const parent = freshDirectory();
		for (const path of [join(parent, 'data.v1'), mkdtempSync(join(parent, 'tmp.'))]) {
			const store = createLmdbStore({ path });
			store.put(nodeify({ a: 1 }));
			await store.close();
			expect(readdirSync(path), path).toContain('data.mdb');
			const reopened = createLmdbStore({ path, readOnly: true });
			expect(reopened.get('a'), path).toEqual({ value: 1 });
			await reopened.close();
		}
	});

	test('a path longer than LMDB keys allow is refused and nothing is written', async () => {
		const store = createLmdbStore({ path: freshDirectory() });
		const long = 'x'.repeat(3000);
		expect(() => store.put(nodeify({ ok: 1, [long]: 1 }))).toThrow(/longer than/);
		expect(store.get()).toEqual({ value: {} });
		await store.close();
	});

	test('reads a subtree in slices that merge into what get returns, pending writes and odd keys included', async () => {
		const store = createLmdbStore({ path: freshDirectory() });
		const users: Record<string, unknown> = {};
		for (let u = 0; u < 40; u++) users[`u${u}`] = { name: `user ${u}`, tags: [u, 'x'], nested: { deep: { n: u } } };
		store.put(nodeify({ users: users as never, 'users-x': 1, users0: 2, odd: { '\uE000': 1, '\u{10000}': 2, 'é': 3, 'a-b': { c: 4 } } }));
		store.put({ value: { users: { value: { u7: { value: {}, meta: { by: 'ada' } } }, meta: { n: 1 } }, empty: { value: {} } }, meta: { root: true } });
		store.del('users/u3/nested');
		await store.flush();
		store.put(nodeify({ users: { u5: 'pending leaf', u50: { late: true } } }));
		store.del('users/u9');
		for (const path of ['', 'users', 'odd', 'users/u7']) {
			const { merged, slices } = readAll(store.readSlices(path), { nodes: 12, bytes: 400 });
			expect(merged, path).toEqual(store.get(path));
			if (path === '' || path === 'users') expect(slices.length, path).toBeGreaterThan(5);
		}
		await store.close();
	});

	test('a small value is one slice; a leaf, null or missing node too', async () => {
		const store = createLmdbStore({ path: freshDirectory() });
		store.put(nodeify({ a: { b: 1, c: [1, 2] }, leaf: 'x', nothing: null }));
		expect(store.readSlices('a').next({ nodes: 100, bytes: 10_000 })).toEqual({ node: nodeify({ b: 1, c: [1, 2] }), done: true });
		expect(store.readSlices('leaf').next({ nodes: 100, bytes: 10_000 })).toEqual({ node: { value: 'x' }, done: true });
		expect(store.readSlices('nothing').next({ nodes: 100, bytes: 10_000 })).toEqual({ node: null, done: true });
		expect(store.readSlices('missing').next({ nodes: 100, bytes: 10_000 })).toEqual({ node: null, done: true });
		expect(store.readSlices('').next({ nodes: 100, bytes: 10_000 })).toEqual({ node: store.get(''), done: true });
		await store.close();
	});

	test('each slice reads the store as it is then: behind the scan nothing, ahead of it everything, committed or pending', async () => {
		const store = createLmdbStore({ path: freshDirectory() });
		const big: Record<string, number> = {};
		for (let i = 100; i < 400; i++) big[`k${i}`] = i;
		store.put(nodeify({ big }));
		await store.flush();
		const reader = store.readSlices('big');
		const slices = [cloneNode(reader.next({ nodes: 20, bytes: 10_000 }).node!)];
		store.put(nodeify({ big: { k000: 'behind', k390: 'ahead', zzz: 'new' } }));
		store.del('big/k250');
		slices.push(cloneNode(reader.next({ nodes: 20, bytes: 10_000 }).node!));
		await store.flush();
		store.del('big/k300');
		const rest = readAll(reader, { nodes: 20, bytes: 10_000 });
		const merged: Node = { value: {} };
		for (const slice of [...slices, ...rest.slices]) mergeSlice(merged, slice);
		const keys = merged.value as Record<string, Node>;
		expect(keys['k000']).toBeUndefined();
		expect(keys['k390']).toEqual({ value: 'ahead' });
		expect(keys['zzz']).toEqual({ value: 'new' });
		expect(keys['k250']).toBeUndefined();
		expect(keys['k300']).toBeUndefined();
		expect(keys['k101']).toEqual({ value: 101 });
		expect(Object.keys(keys)).toHaveLength(300 - 2 + 1);
		await store.close();
	});

	test('refuses a directory written in another format', async () => {
		const path = freshDirectory();
		const { open } = await import('lmdb');
		const raw = open({ path });
		await raw.put('#format', 99);
		await raw.close();
		expect(() => createLmdbStore({ path })).toThrow(/format 99/);
	});
});

describe('lmdb store: replace (imports)', () => {
	test('puts the node in place of the old one, with meta, over several transactions, and leaves the rest', async () => {
		const store = createLmdbStore({ path: freshDirectory() });
		store.put({ value: { keep: { value: 1 }, a: { value: { b: { value: grid(10, 1000) }, side: { value: 2 } }, meta: { m: 'a' } } } });
		const node: Node = { value: { ...nodeify(grid(3, 4000, 7)).value, tagged: { value: [1, null], meta: { t: 1 } } }, meta: { at: 'b' } };
		const phases: string[] = [];
		const written = await store.replace('a/b', node, ({ phase }) => phases.push(phase));
		expect(written).toBe(12_005);
		expect(phases.filter((phase) => phase === 'staging').length).toBeGreaterThan(1);
		expect(phases.filter((phase) => phase === 'landing').length).toBeGreaterThan(1);
		expect(store.get('a/b')).toEqual(node);
		expect(store.get('a/side')).toEqual({ value: 2 });
		expect(store.get('a')?.meta).toEqual({ m: 'a' });
		expect(store.get('keep')).toEqual({ value: 1 });
		expect(store.count('a/b')).toBe(12_005);
		await store.close();
	});

	test('forgets the database the position names (the data is no longer as of its revision), keeping the revision', async () => {
		const path = freshDirectory();
		const store = createLmdbStore({ path });
		store.put({ value: { a: { value: 1 } } });
		store.setPosition({ revision: 7, database: 'db-1' });
		await store.replace('a', { value: 2 });
		expect(store.position()).toEqual({ revision: 7 });
		await store.close();
		const reopened = createLmdbStore({ path });
		expect(reopened.position()).toEqual({ revision: 7 });
		await reopened.close();
	});

	test('makes missing and leaf ancestors objects (keeping their meta), and keeps the root an object', async () => {
		const path = freshDirectory();
		const store = createLmdbStore({ path });
		store.put({ value: { leaf: { value: 5, meta: { kept: true } } } });
		await store.replace('leaf/x/y', { value: 'deep' });
		expect(store.get('leaf')).toEqual({ value: { x: { value: { y: { value: 'deep' } } } }, meta: { kept: true } });
		await expect(store.replace('', { value: 5 })).rejects.toThrow(/root/);
		await store.replace('', { value: { only: { value: true } }, meta: { root: 1 } });
		await store.close();
		const reopened = createLmdbStore({ path });
		expect(reopened.get()).toEqual({ value: { only: { value: true } }, meta: { root: 1 } });
		await reopened.close();
	});

	test('writes made while it runs are committed between its transactions', async () => {
		const store = createLmdbStore({ path: freshDirectory() });
		const events: string[] = [];
		let written: Promise<void> | undefined;
		await store.replace('bulk', nodeify(grid(5, 4000)), ({ phase }) => {
			events.push(phase);
			if (written !== undefined) return;
			store.put(nodeify({ live: 1 }));
			written = store.flush().then(() => void events.push('live write durable'));
		});
		await written;
		// Landing steps came after the live write was durable: the import did not hold the writer.
		expect(events.indexOf('live write durable')).toBeGreaterThan(0);
		expect(events.lastIndexOf('landing')).toBeGreaterThan(events.indexOf('live write durable'));
		expect(store.get('live')).toEqual({ value: 1 });
		expect(store.count('bulk')).toBe(20_006);
		await store.close();
	});

	test('writes to the imported path while it lands never leave a child under a leaf or without a parent', async () => {
		const store = createLmdbStore({ path: freshDirectory() });
		// In key order: /t/a (6,000 leaves), /t/b (a leaf), /t/c (6,000 leaves).
		const node = nodeify({ a: grid(1, 6000).k0!, b: 'leaf', c: grid(1, 6000).k0! });
		let landingSteps = 0;
		await store.replace('t', node, ({ phase }) => {
			if (phase !== 'landing' || ++landingSteps !== 2) return;
			// After the first moving step /t/a is in place with part of its children.
			store.del('t/a');
			store.put(nodeify({ t: { b: { now: 'an object' } } }));
		});
		await store.flush();
		const tree = store.get('t');
		expect(tree?.value.a).toBeUndefined();
		expect(tree?.value.b).toEqual({ value: 'leaf' });
		expect(Object.keys(tree?.value.c.value)).toHaveLength(6000);
		// No keys left over that the tree does not show.
		expect(store.count('t')).toBe(1 + 1 + 1 + 6000);
		await store.close();
	});

	test('a second import into the directory while one is staging is refused', async () => {
		const path = freshDirectory();
		const store = createLmdbStore({ path });
		const other = createLmdbStore({ path });
		let refused: Promise<unknown> | undefined;
		await store.replace('a', nodeify(grid(3, 4000)), ({ phase }) => {
			if (phase === 'staging') refused ??= other.replace('b', nodeify({ x: 1 })).catch((error: unknown) => error);
		});
		expect(await refused).toMatchObject({ code: 'IMPORT_IN_PROGRESS', message: expect.stringContaining(`(pid ${process.pid})`) });
		expect(store.get('b')).toBeNull();
		await other.replace('b', nodeify({ x: 1 }));
		expect(store.get('b')).toEqual(nodeify({ x: 1 }));
		await store.close();
		await other.close();
	});

	test('a read-only store refuses to read data an import is landing into', async () => {
		const path = freshDirectory();
		const store = createLmdbStore({ path });
		store.put(nodeify({ a: grid(2, 3000) }));
		await store.flush();
		const reader = createLmdbStore({ path, readOnly: true });
		const seen: [string, unknown][] = [];
		await store.replace('a', nodeify(grid(3, 3000, 1)), ({ phase }) => {
			try {
				seen.push([phase, Object.keys(reader.get('a')?.value).length]);
			} catch (error) {
				seen.push([phase, (error as { code?: string }).code]);
			}
		});
		// The old data while staging; while landing a refusal, never part of each; the new data once landed.
		expect(seen.filter(([phase]) => phase === 'staging')).toEqual(Array(3).fill(['staging', 2]));
		const landing = seen.filter(([phase]) => phase === 'landing').map(([, result]) => result);
		expect(landing.slice(0, -1).length).toBeGreaterThan(0);
		expect(landing.slice(0, -1).every((result) => result === 'IMPORT_UNFINISHED')).toBe(true);
		expect(landing.at(-1)).toBe(3);
		await new Promise((resolve) => setTimeout(resolve, 1));
		expect(Object.keys(reader.get('a')?.value)).toHaveLength(3);
		await reader.close();
		await store.close();
	});

	test('a read-only store reads and refuses to write', async () => {
		const path = freshDirectory();
		const store = createLmdbStore({ path });
		store.put(nodeify({ a: { b: 1 } }));
		await store.close();
		const reader = createLmdbStore({ path, readOnly: true });
		expect(reader.get('a')).toEqual(nodeify({ b: 1 }));
		expect(() => reader.put(nodeify({ c: 1 }))).toThrow(/read-only/);
		expect(() => reader.del('a')).toThrow(/read-only/);
		await expect(reader.replace('a', nodeify(1))).rejects.toThrow(/read-only/);
		expect(reader.get()).toEqual(nodeify({ a: { b: 1 } }));
		await reader.close();
		expect(() => createLmdbStore({ path: freshDirectory(), readOnly: true })).toThrow(/No such file/);
	});
});

/** Reads every slice, copying each as encoding would, and merges them as a client does. */
function readAll(reader: SliceReader, budget: SliceBudget): { merged: Node | null; slices: Node[] } {
	const slices: Node[] = [];
	let merged: Node | null = null;
	for (;;) {
		const slice = reader.next(budget);
		if (slice.node !== null) {
			const copy = cloneNode(slice.node) as Node;
			slices.push(copy);
			if (merged === null) merged = { value: {} } as Node;
			mergeSlice(merged, copy);
		}
		if (slice.done) return { merged, slices };
	}
}

/** A small seeded generator (mulberry32). */
function random(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

describe('lmdb store against the in-memory store', () => {
	// Random puts and deletes, with commits landing at random points in between; after every
	// step both stores must agree on every path, and a reopened directory on the whole tree.
	for (const seed of [1, 2, 3, 4]) {
		test(`seed ${seed}`, async () => {
			const next = random(seed);
			const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
			const keys = ['a', 'b', 'c', 'd'];
			const randomPath = () => Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(keys)).join('/');
			const randomValue = (depth: number): unknown => {
				const roll = next();
				if (roll < 0.15) return null;
				if (roll < 0.3) return [Math.floor(next() * 3)];
				if (roll < 0.6 || depth > 1) return pick([0, 1, 'x', true, '']);
				const object: Record<string, unknown> = {};
				for (const key of keys) if (next() < 0.4) object[key] = randomValue(depth + 1);
				return object;
			};
			const anchored = (path: string, node: Node): Node => path.split('/').reduceRight<Node>((child, key) => ({ value: { [key]: child } }), node);

			const path = freshDirectory();
			const lmdb = createLmdbStore({ path });
			const memory = createStore();
			const paths = ['', 'a', 'b', 'a/b', 'a/b/c', 'c/d', 'd/d/d'];
			for (let step = 0; step < 300; step++) {
				const at = randomPath();
				if (next() < 0.7) {
					const node = nodeify(randomValue(0) as never) as Node;
					if (next() < 0.2) node.meta = { step, tag: pick(keys) };
					const diff = anchored(at, node);
					expect(lmdb.put(structuredClone(diff)), `step ${step}: put ${at}`).toEqual(memory.put(structuredClone(diff)));
				} else {
					lmdb.del(at);
					memory.del(at);
				}
				for (const probe of paths) {
					expect(lmdb.get(probe), `step ${step}: get ${probe}`).toEqual(memory.get(probe));
					expect(readAll(lmdb.readSlices(probe), { nodes: 3, bytes: 40 }).merged, `step ${step}: slices of ${probe}`).toEqual(memory.get(probe));
					const value = memory.get(probe)?.value;
					const expectedKeys = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).sort() : [];
					expect(lmdb.keys(probe).sort(), `step ${step}: keys ${probe}`).toEqual(expectedKeys);
				}
				if (next() < 0.3) await new Promise((resolve) => setImmediate(resolve));
				if (next() < 0.05) await lmdb.flush();
			}
			const final = memory.get();
			await lmdb.close();
			const reopened = createLmdbStore({ path });
			expect(reopened.get()).toEqual(final);
			await reopened.close();
		});
	}
});
