import { createStore, HookPipeline, nodeify, SocketDBError, type Node, type NodeDiff } from '@socketdb/core';
import { describe, expect, test } from 'vitest';
import type { HookHost } from './call-hook';
import type { ServerHooks, ServerWriter, SocketDBServerDataAPI } from './types';
import { WriteDecisions } from './write-decisions';

const writer = { client: { id: null, context: null, close: null } as ServerWriter };
const inc = (delta: number): NodeDiff => ({ sv: { increment: delta } }) as NodeDiff;
const stamp = { sv: 'timestamp' } as NodeDiff;

/** Decisions on a store holding `data`, with the hooks `register` adds; `refused` lists what the refusal got. */
function decisions(data: Record<string, unknown>, register: (hooks: HookPipeline<ServerHooks>) => void = () => undefined) {
	const store = createStore();
	store.put(nodeify(data as never) as Node);
	const hooks = new HookPipeline<ServerHooks>();
	register(hooks);
	const api = {} as SocketDBServerDataAPI;
	const host: HookHost = { hooks, api, report: () => undefined };
	const refused: unknown[][] = [];
	const decide = new WriteDecisions(host, store, (thrown, hook, subject, origin) => {
		refused.push([thrown, hook, subject, origin]);
		return new SocketDBError('FORBIDDEN', `${hook}: ${(thrown as Error).message}`);
	});
	return { decide, refused, api };
}

const diff = (data: Record<string, unknown>) => nodeify(data as never) as NodeDiff;

/** Registers a 'server:update' hook that records what it sees and leaves the write as it is. */
const recordUpdates = (seen: unknown[]) => (hooks: HookPipeline<ServerHooks>) => {
	hooks.register('server:update', (args) => void seen.push(structuredClone(args)));
};

describe('the hooks that decide a write', () => {
	test('without hooks a write is decided at once, as it came (timestamps filled in only when it holds server values)', () => {
		const { decide } = decisions({});
		const write = diff({ a: 1 });
		expect(decide.update(write, false, writer, undefined)).toBe(write);
		const withStamp: NodeDiff = { value: { t: stamp, n: inc(1) } };
		const decided = decide.update(withStamp, true, writer, undefined) as NodeDiff;
		expect(decided).not.toBeInstanceOf(Promise);
		expect((decided.value as Record<string, NodeDiff>)['t']!.value).toEqual(expect.any(Number));
		expect((decided.value as Record<string, NodeDiff>)['n']).toEqual(inc(1));
		// Not flagged as holding server values: left exactly as it came.
		expect(decide.update(withStamp, false, writer, undefined)).toBe(withStamp);
		expect(decide.delete('a/b', writer, undefined)).toBe('a/b');
	});

	test("'server:update' sees increments filled in ahead from the store; where it leaves them, they stay increments", async () => {
		const seen: unknown[] = [];
		const { decide } = decisions({ n: 5 }, recordUpdates(seen));
		const decided = await decide.update({ value: { n: inc(2), t: stamp } }, true, writer, undefined);
		expect(seen).toEqual([{ data: { value: { n: { value: 7 }, t: { value: expect.any(Number) } } } }]);
		expect(decided).toEqual({ value: { n: inc(2), t: { value: expect.any(Number) } } });
	});

	test("'server:update' without server values sees the write itself; the transaction's path comes as `replaces`", async () => {
		const seen: unknown[] = [];
		const { decide } = decisions({ n: 5 }, recordUpdates(seen));
		const write: NodeDiff = { value: { n: inc(2) } };
		expect(await decide.update(write, false, writer, undefined)).toEqual(write);
		await decide.update(diff({ a: 1 }), false, writer, undefined, 'a');
		expect(seen).toEqual([{ data: write }, { data: diff({ a: 1 }), replaces: 'a' }]);
		expect(seen.map((args) => Object.keys(args as object))).toEqual([['data'], ['data', 'replaces']]);
	});

	test("what 'server:update' returns replaces the write; what it throws refuses it, with the hook's name", async () => {
		const origin = { session: 's', write: 1, node: 'n' } as never;
		const { decide, refused } = decisions({}, (hooks) =>
			hooks.register('server:update', ({ data }) => {
				if ((data.value as Record<string, unknown>)['bad'] !== undefined) throw new Error('no');
				return { data: diff({ replaced: true }) as Node };
			}),
		);
		expect(await decide.update(diff({ a: 1 }), false, writer, undefined)).toEqual(diff({ replaced: true }));
		await expect(decide.update(diff({ bad: 1 }), false, writer, origin)).rejects.toThrow('server:update: no');
		expect(refused).toEqual([[new Error('no'), 'server:update', writer, origin]]);
	});

	test('the hooks get the writer and the data API as their context', async () => {
		const contexts: unknown[] = [];
		const { decide, api } = decisions({}, (hooks) => {
			hooks.register('server:update', (_args, context) => void contexts.push(context));
			hooks.register('server:delete', (_args, context) => void contexts.push(context));
		});
		await decide.update(diff({ a: 1 }), false, writer, undefined);
		await decide.delete('a', writer, undefined);
		expect(contexts).toHaveLength(2);
		for (const context of contexts) {
			expect((context as { client: unknown }).client).toBe(writer.client);
			expect((context as { api: unknown }).api).toBe(api);
		}
	});

	test("'server:delete' may redirect a delete; one that returns nothing leaves it; a throw refuses it", async () => {
		const { decide, refused } = decisions({}, (hooks) =>
			hooks.register('server:delete', ({ path }) => {
				if (path === 'keep') return undefined;
				if (path === 'locked') throw new Error('locked');
				return { path: `trash/${path}` };
			}),
		);
		expect(await decide.delete('a', writer, undefined)).toBe('trash/a');
		expect(await decide.delete('keep', writer, undefined)).toBe('keep');
		await expect(decide.delete('locked', writer, undefined)).rejects.toThrow('server:delete: locked');
		expect(refused.map(([, hook]) => hook)).toEqual(['server:delete']);
	});
});

describe('several paths as one write (ref.update)', () => {
	const change = { data: { value: { n: inc(1), t: stamp, x: { value: 1 } } } as NodeDiff, deleted: ['old', 'gone'] };

	test('without hooks it is decided at once: timestamps filled in when it holds server values, else the change itself', () => {
		const { decide } = decisions({ n: 1 });
		expect(decide.paths(change, false, writer, undefined)).toBe(change);
		const decided = decide.paths(change, true, writer, undefined) as typeof change;
		expect(decided).not.toBeInstanceOf(Promise);
		expect(decided.deleted).toBe(change.deleted);
		expect(decided.data).toEqual({ value: { n: inc(1), t: { value: expect.any(Number) }, x: { value: 1 } } });
		const onlyDeletes = { deleted: ['a'] };
		expect(decide.paths(onlyDeletes, true, writer, undefined)).toBe(onlyDeletes);
	});

	test("with only 'server:delete': each deleted path goes through it in order, the values only get their timestamps", async () => {
		const order: string[] = [];
		const { decide } = decisions({ n: 1 }, (hooks) =>
			hooks.register('server:delete', ({ path }) => {
				order.push(path);
				return { path: `moved/${path}` };
			}),
		);
		const decided = await decide.paths(change, true, writer, undefined);
		expect(order).toEqual(['old', 'gone']);
		expect(decided).toEqual({ data: { value: { n: inc(1), t: { value: expect.any(Number) }, x: { value: 1 } } }, deleted: ['moved/old', 'moved/gone'] });
		// Values only, no deletes: the delete hook has nothing to decide.
		const values = { data: diff({ a: 1 }), deleted: [] };
		expect(decide.paths(values, false, writer, undefined)).toBe(values);
	});

	test("with only 'server:update': the values in one call with increments previewed, the deletes untouched", async () => {
		const seen: unknown[] = [];
		const { decide } = decisions({ n: 4 }, recordUpdates(seen));
		const decided = await decide.paths(change, true, writer, undefined);
		expect(seen).toEqual([{ data: { value: { n: { value: 5 }, t: { value: expect.any(Number) }, x: { value: 1 } } } }]);
		expect(decided).toEqual({ data: { value: { n: inc(1), t: { value: expect.any(Number) }, x: { value: 1 } } }, deleted: ['old', 'gone'] });
		// Deletes only: the update hook has nothing to decide.
		const deletes = { deleted: ['a'] };
		expect(decide.paths(deletes, false, writer, undefined)).toBe(deletes);
		expect(seen).toHaveLength(1);
	});

	test('without server values the hooks see the values as written; a refusal by either refuses the whole write', async () => {
		const seen: unknown[] = [];
		const { decide } = decisions({ n: 4 }, (hooks) => {
			hooks.register('server:update', (args) => void seen.push(structuredClone(args)));
			hooks.register('server:delete', ({ path }) => {
				if (path === 'gone') throw new Error('not that one');
			});
		});
		await expect(decide.paths(change, false, writer, undefined)).rejects.toThrow('server:delete: not that one');
		// Deletes only, with or without server values: 'server:update' has nothing to see, and no values come out.
		for (const serverValues of [false, true]) {
			const deletesOnly = await decide.paths({ deleted: ['old'] }, serverValues, writer, undefined);
			expect(deletesOnly).toEqual({ deleted: ['old'] });
			expect(Object.keys(deletesOnly)).toEqual(['deleted']);
		}
		expect(seen).toEqual([{ data: change.data }]);
	});
});
