import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeify } from '@socketdb/core';
import { afterAll, describe, expect, test } from 'vitest';
import { createStore, type Node } from '@socketdb/core';
import { describeStoreContract } from '../../core/src/store-contract';
import { createLmdbStore } from './lmdb-store';

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

	test('a path longer than LMDB keys allow is refused and nothing is written', async () => {
		const store = createLmdbStore({ path: freshDirectory() });
		const long = 'x'.repeat(3000);
		expect(() => store.put(nodeify({ ok: 1, [long]: 1 }))).toThrow(/longer than/);
		expect(store.get()).toEqual({ value: {} });
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
