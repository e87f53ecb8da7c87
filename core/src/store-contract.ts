import { afterEach, describe, expect, test } from 'vitest';
import { nodeify } from './node';
import type { Node } from './node';
import type { Store } from './store';

/**
 * The behaviour every store must have, as a reusable test suite. The in-memory store runs it
 * in `store.test.ts`; durable stores run it too:
 *
 * @example
 * describeStoreContract('sqlite store', () => createSqliteStore({ file: ':memory:' }));
 *
 * `createStore` is called once per test; a store's `close()` (if it has one) runs after each test.
 */
export function describeStoreContract(name: string, createStore: () => Store | Promise<Store>): void {
	describe(`store contract: ${name}`, () => {
		const opened: Store[] = [];

		async function open(): Promise<Store> {
			const store = await createStore();
			opened.push(store);
			return store;
		}

		afterEach(async () => {
			const stores = opened.splice(0);
			for (const store of stores) await store.close?.();
		});

		const put = (store: Store, data: unknown): Node => store.put(nodeify(data as never));

		describe('get', () => {
			test('an empty store holds an empty root', async () => {
				const store = await open();
				expect(store.get()).toEqual({ value: {} });
				expect(store.get('')).toEqual({ value: {} });
			});

			test('returns null for missing paths', async () => {
				const store = await open();
				expect(store.get('missing')).toBeNull();
				expect(store.get('some/value/that/does/not/exist')).toBeNull();
				put(store, { a: { b: 1 } });
				expect(store.get('a/c')).toBeNull();
				expect(store.get('x/b')).toBeNull();
			});

			test('returns null below a leaf', async () => {
				const store = await open();
				put(store, { a: 'leaf', list: [1, 2], empty: '' });
				expect(store.get('a/b')).toBeNull();
				expect(store.get('list/0')).toBeNull();
				expect(store.get('list/length')).toBeNull();
				expect(store.get('empty/x')).toBeNull();
			});

			test('returns null for null values', async () => {
				const store = await open();
				put(store, { a: null, b: { c: null } });
				expect(store.get('a')).toBeNull();
				expect(store.get('b/c')).toBeNull();
				expect(store.get('a/below')).toBeNull();
			});

			test('returns falsy values that are not null', async () => {
				const store = await open();
				put(store, { zero: 0, no: false, empty: '' });
				expect(store.get('zero')).toEqual({ value: 0 });
				expect(store.get('no')).toEqual({ value: false });
				expect(store.get('empty')).toEqual({ value: '' });
			});

			test('returns nodes at any path', async () => {
				const store = await open();
				put(store, { players: { a: { name: 'Ada', position: { x: 0, y: 1 } } } });
				expect(store.get('players/a/position/x')).toEqual({ value: 0 });
				expect(store.get('players/a/position')).toEqual(nodeify({ x: 0, y: 1 }));
				expect(store.get('players')).toEqual(nodeify({ a: { name: 'Ada', position: { x: 0, y: 1 } } }));
				expect(store.get()).toEqual(nodeify({ players: { a: { name: 'Ada', position: { x: 0, y: 1 } } } }));
			});

			test('ignores a leading and a trailing slash', async () => {
				const store = await open();
				put(store, { a: { b: 1 } });
				expect(store.get('/a/b/')).toEqual({ value: 1 });
			});

			test('arrays are stored whole', async () => {
				const store = await open();
				put(store, { list: [1, 'two', { three: 3 }, [4]] });
				expect(store.get('list')).toEqual({ value: [1, 'two', { three: 3 }, [4]] });
			});

			test('keys that look like Object.prototype members are ordinary keys', async () => {
				const store = await open();
				expect(store.get('toString')).toBeNull();
				expect(store.get('hasOwnProperty/valueOf')).toBeNull();
				put(store, { toString: 1, hasOwnProperty: { valueOf: 2 } });
				expect(store.get('toString')).toEqual({ value: 1 });
				expect(store.get('hasOwnProperty/valueOf')).toEqual({ value: 2 });
			});
		});

		describe('put', () => {
			test('returns the applied diff', async () => {
				const store = await open();
				expect(put(store, { a: { b: 1, c: 2 } })).toEqual(nodeify({ a: { b: 1, c: 2 } }));
			});

			test('merges objects key by key', async () => {
				const store = await open();
				put(store, { players: { a: { name: 'Patrick', position: { x: 0, y: 1 } } } });
				put(store, { players: { a: { position: { x: 1 } } } });
				expect(store.get()).toEqual(nodeify({ players: { a: { name: 'Patrick', position: { x: 1, y: 1 } } } }));
			});

			test('returns only what changed', async () => {
				const store = await open();
				put(store, {
					players: {
						a: { name: 'Patrick', position: { x: 0, y: 1 } },
						b: { name: 'Someone', position: { x: 2, y: 4 } },
					},
				});
				const diff = put(store, {
					players: {
						a: { name: 'John', position: { x: 0, y: 1 } },
						c: { name: 'Peter Parker' },
					},
				});
				expect(diff).toEqual(nodeify({ players: { a: { name: 'John' }, c: { name: 'Peter Parker' } } }));
			});

			test('returns an empty root when nothing changed', async () => {
				const store = await open();
				put(store, { a: 1, list: [1, 2] });
				expect(put(store, { a: 1, list: [1, 2] })).toEqual({ value: {} });
				expect(store.put({ value: {} })).toEqual({ value: {} });
			});

			test('an empty object changes nothing', async () => {
				const store = await open();
				put(store, { a: { b: 1 }, leaf: 5 });
				expect(put(store, { a: {}, leaf: {} })).toEqual({ value: {} });
				expect(store.get()).toEqual(nodeify({ a: { b: 1 }, leaf: 5 }));
			});

			test('leaves and arrays replace', async () => {
				const store = await open();
				put(store, { a: { b: 1 }, list: [1, 2, 3] });
				expect(put(store, { a: 'leaf', list: [4] })).toEqual(nodeify({ a: 'leaf', list: [4] }));
				expect(store.get()).toEqual(nodeify({ a: 'leaf', list: [4] }));
			});

			test('an object replacing a leaf holds only the new keys', async () => {
				const store = await open();
				put(store, { a: 'leaf' });
				put(store, { a: { x: 1 } });
				expect(store.get('a')).toEqual(nodeify({ x: 1 }));
			});

			test('null replaces a subtree', async () => {
				const store = await open();
				put(store, { a: { b: 1 } });
				expect(put(store, { a: null })).toEqual(nodeify({ a: null }));
				expect(store.get('a')).toBeNull();
				expect(store.get('a/b')).toBeNull();
				put(store, { a: { c: 2 } });
				expect(store.get('a')).toEqual(nodeify({ c: 2 }));
			});

			test('the returned diff is not changed by later writes', async () => {
				const store = await open();
				const diff = put(store, { a: { b: 1, list: [1] }, c: { d: 2 } });
				const copy = JSON.parse(JSON.stringify(diff)) as Node;
				put(store, { a: { b: 2, e: 3, list: [2] }, c: 'leaf' });
				store.del('a');
				expect(diff).toEqual(copy);
			});

			test('changing the written data afterwards does not change the store', async () => {
				const store = await open();
				const data = nodeify({ a: { b: 'c', list: [1, { x: 1 }] }, d: 0 }) as Node;
				store.put(data);
				const children = data.value as Record<string, Node>;
				(children['a']!.value as Record<string, Node>)['b']!.value = 'changed';
				((children['a']!.value as Record<string, Node>)['list']!.value as unknown[]).push(2);
				children['d'] = { value: 99 };
				expect(store.get()).toEqual(nodeify({ a: { b: 'c', list: [1, { x: 1 }] }, d: 0 }));
			});

			test('recognises changes when the same data object is written again after changing it', async () => {
				const store = await open();
				const data = nodeify({ a: { b: 'c', list: [1] }, d: 0 }) as Node;
				store.put(data);
				const a = (data.value as Record<string, Node>)['a']!.value as Record<string, Node>;
				a['b']!.value = 'e';
				(a['list']!.value as unknown[]).push(2);
				expect(store.put(data)).toEqual(nodeify({ a: { b: 'e', list: [1, 2] } }));
				expect(store.get('a/list')).toEqual({ value: [1, 2] });
			});

			test('meta is stored beside values', async () => {
				const store = await open();
				const diff = store.put({ value: { a: { value: 1, meta: { updated: 10 } } } });
				expect(diff).toEqual({ value: { a: { value: 1, meta: { updated: 10 } } } });
				expect(store.get('a')).toEqual({ value: 1, meta: { updated: 10 } });
			});

			test('meta alone can be set with an empty object value', async () => {
				const store = await open();
				put(store, { a: { b: 1 } });
				const diff = store.put({ value: { a: { value: {}, meta: { by: 'ada' } } } });
				expect(diff).toEqual({ value: { a: { meta: { by: 'ada' } } } });
				expect(store.get('a')).toEqual({ value: { b: { value: 1 } }, meta: { by: 'ada' } });
			});

			test('meta deep-merges', async () => {
				const store = await open();
				store.put({ value: { a: { value: 1, meta: { x: { y: 1, z: 2 }, w: 1 } } } });
				const diff = store.put({ value: { a: { value: 1, meta: { x: { y: 3 } } } } });
				expect(diff).toEqual({ value: { a: { meta: { x: { y: 3 } } } } });
				expect(store.get('a')).toEqual({ value: 1, meta: { x: { y: 3, z: 2 }, w: 1 } });
			});

			test('equal meta changes nothing', async () => {
				const store = await open();
				store.put({ value: { a: { value: 1, meta: { x: 1 } } } });
				expect(store.put({ value: { a: { value: 1, meta: { x: 1 } } } })).toEqual({ value: {} });
			});

			test('root meta', async () => {
				const store = await open();
				const diff = store.put({ value: {}, meta: { version: 2 } });
				expect(diff.meta).toEqual({ version: 2 });
				expect(store.get()?.meta).toEqual({ version: 2 });
			});

			test('deep paths', async () => {
				const store = await open();
				const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
				let data: unknown = 'bottom';
				for (let i = keys.length - 1; i >= 0; i--) data = { [keys[i]!]: data };
				put(store, data);
				expect(store.get(keys.join('/'))).toEqual({ value: 'bottom' });
				let below: unknown = 'bottom';
				for (let i = keys.length - 1; i >= 30; i--) below = { [keys[i]!]: below };
				expect(store.get(keys.slice(0, 30).join('/'))).toEqual(nodeify(below as never));
				const diff = put(store, { k0: { k1: { other: true } } });
				expect(diff).toEqual(nodeify({ k0: { k1: { other: true } } }));
				expect(store.get(keys.join('/'))).toEqual({ value: 'bottom' });
				store.del(keys.slice(0, 40).join('/'));
				expect(store.get(keys.join('/'))).toBeNull();
				expect(store.get(keys.slice(0, 39).join('/'))).toEqual({ value: {} });
			});

			test('many keys under one path', async () => {
				const store = await open();
				const data: Record<string, number> = {};
				for (let i = 0; i < 1000; i++) data[`key${i}`] = i;
				put(store, { many: data });
				expect(store.get('many/key999')).toEqual({ value: 999 });
				expect(Object.keys(store.get('many')!.value as object)).toHaveLength(1000);
			});
		});

		describe('del', () => {
			test('removes a subtree', async () => {
				const store = await open();
				put(store, { player: { a: { position: { x: 0, y: 1 } } } });
				store.del('player/a/position');
				expect(store.get('player/a/position')).toBeNull();
				expect(store.get('player/a/position/x')).toBeNull();
			});

			test('removes the key from the parent and keeps the siblings', async () => {
				const store = await open();
				put(store, { a: { b: { c: 1 }, d: 2 } });
				store.del('a/b');
				expect(store.get('a')).toEqual(nodeify({ d: 2 }));
				expect(Object.keys(store.get('a')!.value as object)).toEqual(['d']);
			});

			test('removes a top-level key', async () => {
				const store = await open();
				put(store, { player: { a: 1 }, other: 2 });
				store.del('player');
				expect(store.get('player')).toBeNull();
				expect(store.get('player/a')).toBeNull();
				expect(store.get()).toEqual(nodeify({ other: 2 }));
			});

			test("del('') clears everything", async () => {
				const store = await open();
				store.put({ value: { a: { value: { b: { value: 1 } } }, c: { value: 2 } }, meta: { m: 1 } });
				store.del('');
				expect(store.get()).toEqual({ value: {} });
				expect(store.get('a')).toBeNull();
				expect(store.get('c')).toBeNull();
			});

			test('the store is usable after clearing', async () => {
				const store = await open();
				put(store, { a: 1 });
				store.del('');
				expect(put(store, { a: 1 })).toEqual(nodeify({ a: 1 }));
				expect(store.get('a')).toEqual({ value: 1 });
			});

			test('ignores missing paths', async () => {
				const store = await open();
				put(store, { a: { b: 1 } });
				store.del('x');
				store.del('x/y/z');
				store.del('a/x');
				store.del('a/b/c');
				expect(store.get()).toEqual(nodeify({ a: { b: 1 } }));
			});

			test('removes meta with the node', async () => {
				const store = await open();
				store.put({ value: { a: { value: 1, meta: { x: 1 } } } });
				store.del('a');
				store.put({ value: { a: { value: 1 } } });
				expect(store.get('a')).toEqual({ value: 1 });
			});

			test('a path written after a delete starts fresh', async () => {
				const store = await open();
				put(store, { a: { b: 1, c: 2 } });
				store.del('a');
				expect(put(store, { a: { b: 1 } })).toEqual(nodeify({ a: { b: 1 } }));
				expect(store.get('a')).toEqual(nodeify({ b: 1 }));
			});

			test('ignores a leading and a trailing slash', async () => {
				const store = await open();
				put(store, { a: { b: 1, c: 2 } });
				store.del('/a/b/');
				expect(store.get('a')).toEqual(nodeify({ c: 2 }));
			});
		});
	});
}
