import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeify } from '@socketdb/core';
import { afterAll, describe, expect, test } from 'vitest';
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
