import { cloneNode, createStore, diffAt, nodeify, openSliceReader, type DataOp, type Node, type NodeDiff } from '@socketdb/core';
import { describe, expect, test } from 'vitest';
import { seededRandom } from '../../test/helpers/random';
import { SnapshotAssembly } from './snapshot-assembly';

const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

describe('SnapshotAssembly', () => {
	test('puts slices together; changes between them apply; the value is handed over once', () => {
		const assembly = new SnapshotAssembly();
		assembly.start('p', { value: { a: { value: { x: { value: 1 } } } }, meta: { m: 1 } }, 5);
		expect(assembly.has('p')).toBe(true);
		assembly.addSlice('p', { value: { a: { value: { y: { value: 2 } } }, empty: { value: {} } } });
		assembly.apply('p', { value: { a: { value: { x: { value: 3 } } } } });
		assembly.apply('p', 'a/y');
		assembly.reached('p', 7);
		assembly.reached('p', 6);
		assembly.addSlice('p', { value: { b: { value: 'leaf' } } });
		expect(plain(assembly.finish('p'))).toEqual({ node: { meta: { m: 1 }, value: { a: { value: { x: { value: 3 } } }, empty: { value: {} }, b: { value: 'leaf' } } }, rev: 7 });
		expect(assembly.has('p')).toBe(false);
		expect(assembly.finish('p')).toBeUndefined();
	});

	test('a deletion of the path itself leaves nothing, until a later change or slice brings something back', () => {
		const assembly = new SnapshotAssembly();
		assembly.start('p', nodeify({ a: 1 }), 1);
		assembly.apply('p', '');
		expect(assembly.finish('p')).toEqual({ node: null, rev: 1 });
		assembly.start('p', null, 1);
		assembly.apply('p', { value: {} });
		expect(assembly.finish('p')).toEqual({ node: null, rev: 1 });
		assembly.start('p', null, 1);
		assembly.apply('p', nodeify({ b: 2 }));
		expect(plain(assembly.finish('p'))).toEqual({ node: nodeify({ b: 2 }), rev: 1 });
	});

	test('slices and changes for a path that streams nothing are ignored; drop and clear forget streams', () => {
		const assembly = new SnapshotAssembly();
		expect(assembly.addSlice('p', nodeify({ a: 1 }))).toBe(false);
		assembly.apply('p', nodeify({ a: 1 }));
		assembly.start('p', null, 1);
		assembly.start('q', null, 1);
		assembly.drop('p');
		expect(assembly.has('p')).toBe(false);
		assembly.clear();
		expect(assembly.has('q')).toBe(false);
	});
});

/**
 * The server's side, simulated: the subscription is registered first, so every write after that
 * becomes a change for the path; changes wait in a queue (the fan-out's batch) and go out now
 * and then, in order; slices are read and sent at once, each from the store as it is then.
 */
describe('a value streamed while it changes ends up as the store holds it (seeded)', () => {
	const PATH = 'users';
	for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
		test(`seed ${seed}`, () => {
			const random = seededRandom(seed);
			const store = createStore();
			const users: Record<string, Record<string, unknown>> = {};
			for (let u = 0; u < 60; u++) {
				users[`u${u}`] = {};
				for (let f = 0; f < 12; f++) users[`u${u}`]![`f${f}`] = u * 100 + f;
			}
			store.put(nodeify({ users, other: 1 } as never));

			const queued: DataOp[] = [];
			const write = () => {
				const user = `u${random.int(70)}`;
				const roll = random.next();
				if (roll < 0.15) {
					store.del(`${PATH}/${user}`);
					queued.push(user);
				} else if (roll < 0.2) {
					const field = `${user}/f${random.int(14)}`;
					store.del(`${PATH}/${field}`);
					queued.push(field);
				} else if (roll < 0.25) {
					const applied = store.put(nodeify({ [PATH]: { [user]: random.chance(0.5) ? 'now a leaf' : { fresh: random.int(9) } } } as never));
					const op = diffAt(applied, [PATH]);
					if (op !== undefined) queued.push(cloneNode(op));
				} else if (roll < 0.27) {
					store.del(PATH);
					queued.push('');
				} else {
					const applied = store.put(nodeify({ [PATH]: { [user]: { [`f${random.int(14)}`]: random.int(1000) } } } as never));
					const op = diffAt(applied, [PATH]);
					if (op !== undefined) queued.push(cloneNode(op));
				}
			};

			const assembly = new SnapshotAssembly();
			const deliver = () => {
				for (const op of queued.splice(0)) assembly.apply(PATH, op);
			};
			const reader = openSliceReader(store, PATH);
			const first = reader.next({ nodes: 25, bytes: 1_000 });
			expect(first.done, 'the value needs several slices').toBe(false);
			assembly.start(PATH, cloneNode(first.node!), 0);
			for (let done = false; !done; ) {
				for (let i = random.int(4); i > 0; i--) write();
				if (random.chance(0.5)) deliver();
				const slice = reader.next({ nodes: 25, bytes: 1_000 });
				if (slice.node !== null) assembly.addSlice(PATH, cloneNode(slice.node as NodeDiff));
				done = slice.done;
			}
			for (let i = random.int(10); i > 0; i--) write();
			deliver();
			const value = assembly.finish(PATH)!.node as Node | null;
			expect(plain(value), `seed ${seed}`).toEqual(plain(store.get(PATH)));
		});
	}
});
