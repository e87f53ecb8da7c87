import { createStore, HookPipeline, nodeify, SocketDBError, storeKeys, type LogPosition, type Node, type NodeDiff, type Store } from '@socketdb/core';
import { describe, expect, test } from 'vitest';
import type { HookHost, HookSubject } from './call-hook';
import { FanOut } from './fanout';
import { ReplicatedLog } from './replicated-log';
import { recordingReplication } from './recording-replication';
import type { LogEntry, Origin } from './replication';
import type { ErrorSource, ServerHooks, SocketDBServerDataAPI } from './types';
import { SERVER, WritePath } from './write-path';

const diff = (data: Record<string, unknown>) => nodeify(data as never) as NodeDiff;
const client = { id: 'c1', context: {}, close: () => undefined };
const byClient = { client } as unknown as HookSubject;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A store that keeps a position with its data, as a durable store does; `failing` makes its writes throw. */
function positionedStore(position?: LogPosition) {
	const store = createStore();
	const positions: LogPosition[] = [];
	let flushes = 0;
	let failing: { put?: unknown; del?: unknown } = {};
	const put = store.put.bind(store);
	const del = store.del.bind(store);
	const positioned: Store = Object.assign(store, {
		position: () => position,
		setPosition: (next: LogPosition) => {
			positions.push(next);
			position = next;
		},
		flush: async () => void flushes++,
		put: (node: Node) => {
			if (failing.put !== undefined) throw failing.put;
			return put(node);
		},
		del: (path: string) => {
			if (failing.del !== undefined) throw failing.del;
			return del(path);
		},
	});
	return { store: positioned, positions, flushes: () => flushes, fail: (next: typeof failing) => (failing = next) };
}

/** A write path on a real store, fan-out and hook pipeline; what it publishes, reports and tells `server:change` is recorded. */
function harness(options: { data?: Record<string, unknown>; store?: Store; register?: (hooks: HookPipeline<ServerHooks>) => void } = {}) {
	const store = options.store ?? createStore();
	if (options.data !== undefined) store.put(nodeify(options.data as never) as Node);
	const hooks = new HookPipeline<ServerHooks>();
	const changes: unknown[] = [];
	hooks.register('server:change', (args) => void changes.push(structuredClone(args)));
	options.register?.(hooks);
	const reports: [Error, ErrorSource][] = [];
	const host: HookHost = { hooks, api: {} as SocketDBServerDataAPI, report: (error, source) => void reports.push([error, source]) };
	const fanout = new FanOut(0);
	const published: string[] = [];
	fanout.observer = {
		changed: (change, revision) => void published.push(`${revision} change ${JSON.stringify(change)}`),
		deleted: (path, revision) => void published.push(`${revision} delete "${path}"`),
	};
	const path = new WritePath(store, fanout, host);
	return { path, store, changes, reports, published, value: (at = '') => store.get(at) };
}

/** The harness on a shared log kept in memory: appends are recorded, and `logNext` hands them back numbered. */
function replicated(options: Parameters<typeof harness>[0] = {}) {
	const h = harness(options);
	const { replication, appended } = recordingReplication();
	const log = new ReplicatedLog(replication, {
		position: () => h.path.storedPosition,
		empty: () => storeKeys(h.store, '').length === 0,
		setDatabase: (id) => h.path.setDatabase(id),
		applyLogged: (entry, writer) => h.path.applyLogged(entry, writer),
		skip: (entry) => h.path.skip(entry),
		load: (root, position) => h.path.load(root, position),
		snapshot: () => ({ root: h.store.get('') ?? { value: {} }, position: h.path.position }),
		othersChanged: () => undefined,
		report: () => undefined,
		fail: () => undefined,
	});
	h.path.replicate(log);
	let revision = 0;
	/** Hands the entries appended so far back to the process, as the log would, numbered from `from`. */
	const logNext = async (from?: number) => {
		await tick();
		if (from !== undefined) revision = from - 1;
		for (const entry of appended.splice(0)) log.apply({ ...entry, revision: ++revision, log: `0-${revision}`, time: 1 });
	};
	return { ...h, log, appended, logNext };
}

describe('a write on a process that is the database on its own', () => {
	test('an update is applied at once with the next revision, published, recorded and told to server:change', () => {
		const { path, changes, published, value } = harness({ data: { a: { b: 0 } } });
		expect(path.update(diff({ a: { b: 1 } }), byClient)).toBeUndefined();
		expect(path.revision).toBe(1);
		expect(value('a/b')).toEqual({ value: 1 });
		const applied = { value: { a: { value: { b: { value: 1 } } } } };
		expect(published).toEqual([`1 change ${JSON.stringify(applied)}`]);
		expect(changes).toEqual([{ revision: 1, data: applied }]);
		expect(path.history.since(0, 1)).toEqual([{ revision: 1, diff: applied, bytes: expect.any(Number) }]);
	});

	test('an update that changes nothing takes no revision and is not published; one that changes only meta is a change', () => {
		const { path, changes, published } = harness({ data: { a: 1 } });
		path.update(diff({ a: 1 }), SERVER);
		path.update({ value: {} }, SERVER);
		expect(path.revision).toBe(0);
		expect(published).toEqual([]);
		expect(changes).toEqual([]);
		path.update({ value: { a: { meta: { by: 'x' } } } } as NodeDiff, SERVER);
		expect(path.revision).toBe(1);
		expect(changes).toHaveLength(1);
		path.update({} as NodeDiff, SERVER);
		expect(path.revision).toBe(1);
		path.update({ meta: { on: 'root' } } as NodeDiff, SERVER);
		expect(path.revision).toBe(2);
	});

	test('a delete takes the next revision, is published and recorded, also where nothing was', () => {
		const { path, changes, published, value } = harness({ data: { a: { b: 1, c: 2 } } });
		expect(path.delete('a/b', SERVER)).toBeUndefined();
		expect(value('a/b')).toBeNull();
		expect(value('a/c')).toEqual({ value: 2 });
		path.delete('nothing/here', SERVER);
		expect(path.revision).toBe(2);
		expect(published).toEqual(['1 delete "a/b"', '2 delete "nothing/here"']);
		expect(changes).toEqual([
			{ revision: 1, deleted: 'a/b' },
			{ revision: 2, deleted: 'nothing/here' },
		]);
		expect(path.history.since(0, 2)?.map((entry) => [entry.revision, entry.deleted])).toEqual([
			[1, 'a/b'],
			[2, 'nothing/here'],
		]);
	});

	test('several paths are one revision: the deletes, then the merge, published and told in that order', () => {
		const { path, changes, published, value } = harness({ data: { a: { x: 1 }, b: 1 } });
		expect(path.updatePaths({ deleted: ['a'], data: diff({ a: { y: 2 }, b: 2 }) }, SERVER)).toBeUndefined();
		expect(path.revision).toBe(1);
		expect(value('a')).toEqual({ value: { y: { value: 2 } } });
		expect(value('b')).toEqual({ value: 2 });
		const applied = { value: { a: { value: { y: { value: 2 } } }, b: { value: 2 } } };
		expect(published).toEqual(['1 delete "a"', `1 change ${JSON.stringify(applied)}`]);
		expect(changes).toEqual([
			{ revision: 1, deleted: 'a' },
			{ revision: 1, data: applied },
		]);
		expect(path.history.since(0, 1)?.map((entry) => entry.revision)).toEqual([1, 1]);
	});

	test('several paths whose merge changes nothing publish only their deletes; with nothing changed at all, no revision', () => {
		const { path, changes, published } = harness({ data: { a: 1, b: 1 } });
		path.updatePaths({ deleted: [], data: diff({ b: 1 }) }, SERVER);
		expect(path.revision).toBe(0);
		path.updatePaths({ deleted: ['a'], data: diff({ b: 1 }) }, SERVER);
		expect(path.revision).toBe(1);
		expect(published).toEqual(['1 delete "a"']);
		expect(changes).toEqual([{ revision: 1, deleted: 'a' }]);
		path.updatePaths({ deleted: ['b'] }, SERVER);
		expect(published).toEqual(['1 delete "a"', '2 delete "b"']);
	});

	test('a transaction commits while its path holds the value it read, and answers with the value committed', () => {
		const { path, value } = harness({ data: { n: 5, o: { a: 1 } } });
		expect(path.transaction({ path: 'n', expected: 5, node: { value: 6 } }, SERVER)).toEqual({ value: 6 });
		expect(path.transaction({ path: 'o', expected: { a: 1 }, node: diff({ b: 2 }) }, SERVER)).toEqual({ value: { b: 2 } });
		expect(value('o')).toEqual({ value: { b: { value: 2 } } });
		expect(path.transaction({ path: 'missing', expected: null, node: { value: 1 } }, SERVER)).toEqual({ value: 1 });
		expect(path.transaction({ path: 'n', expected: 6 }, SERVER)).toEqual({ value: null });
		expect(value('n')).toBeNull();
		expect(path.revision).toBe(4);
	});

	test('a transaction whose path changed is refused with CONFLICT and the value the path holds, and changes nothing', () => {
		const { path, changes, value } = harness({ data: { n: 5 } });
		const conflict = (() => {
			try {
				path.transaction({ path: 'n', expected: 4, node: { value: 6 } }, SERVER);
			} catch (error) {
				return error as SocketDBError;
			}
			throw new Error('the transaction committed');
		})();
		expect(conflict).toBeInstanceOf(SocketDBError);
		expect(conflict.code).toBe('CONFLICT');
		expect(conflict.message).toBe('"n" changed since the transaction read it');
		expect(conflict.details).toEqual({ value: 5 });
		expect(value('n')).toEqual({ value: 5 });
		expect(path.revision).toBe(0);
		expect(changes).toEqual([]);
		expect(() => path.transaction({ path: 'gone', expected: 1 }, SERVER)).toThrow(expect.objectContaining({ code: 'CONFLICT', details: { value: null } }));
	});

	test('with a hook the write settles through a promise, and what the hook returns is checked again', async () => {
		const { path, value } = harness({
			data: { n: 1 },
			register: (hooks) => {
				hooks.register('server:update', ({ data }) => ({ data: (data.value as Record<string, NodeDiff>)['leaf'] !== undefined ? ({ value: 5 } as never) : data }));
				hooks.register('server:delete', ({ path: at }) => ({ path: at === 'bad' ? 'a//b' : at }));
			},
		});
		const committed = path.transaction({ path: 'n', expected: 1, node: { value: 2 } }, SERVER);
		expect(committed).toBeInstanceOf(Promise);
		await expect(committed).resolves.toEqual({ value: 2 });
		await expect(path.update(diff({ leaf: 1 }), SERVER)).rejects.toThrow(expect.objectContaining({ code: 'INVALID_VALUE', message: 'the root of the tree must stay an object' }));
		await expect(path.delete('bad', SERVER)).rejects.toThrow(expect.objectContaining({ code: 'INVALID_PATH' }));
		await expect(path.updatePaths({ deleted: ['bad'] }, SERVER)).rejects.toThrow(expect.objectContaining({ code: 'INVALID_PATH' }));
		await expect(path.updatePaths({ deleted: [], data: diff({ leaf: 1 }) }, SERVER)).rejects.toThrow(expect.objectContaining({ code: 'INVALID_VALUE' }));
		await expect(path.transaction({ path: 'bad', expected: null }, SERVER)).rejects.toThrow(expect.objectContaining({ code: 'INVALID_PATH' }));
		expect(value('n')).toEqual({ value: 2 });
		expect(path.revision).toBe(1);
	});

	test('a transaction decided by a hook replaces the value at its path', async () => {
		const { path, value } = harness({ data: { o: { a: 1 } }, register: (hooks) => hooks.register('server:update', ({ data }) => ({ data })) });
		await expect(path.transaction({ path: 'o', expected: { a: 1 }, node: diff({ b: 2 }) }, SERVER)).resolves.toEqual({ value: { b: 2 } });
		expect(value('o')).toEqual({ value: { b: { value: 2 } } });
	});

	test('checking a write runs its hooks (server values previewed) and applies nothing', async () => {
		const { path: unhooked } = harness();
		expect(unhooked.check({ deleted: ['a'], data: diff({ b: 1 }) }, SERVER)).toBeUndefined();
		const seen: unknown[] = [];
		const { path, value } = harness({
			data: { n: 5 },
			register: (hooks) =>
				hooks.register('server:update', ({ data }) => {
					seen.push(structuredClone(data));
					if ((data.value as Record<string, NodeDiff>)['no'] !== undefined) throw new SocketDBError('FORBIDDEN', 'not that');
				}),
		});
		const checked = path.check({ deleted: [], data: { value: { n: { sv: { increment: 1 } } } } as NodeDiff }, SERVER);
		expect(checked).toBeInstanceOf(Promise);
		await expect(checked).resolves.toBeUndefined();
		expect(seen).toEqual([{ value: { n: { value: 6 } } }]);
		await expect(path.check({ deleted: [], data: diff({ no: 1 }) }, SERVER)).rejects.toThrow('not that');
		expect(path.check({ deleted: ['n'] }, SERVER)).toBeUndefined();
		expect(value('n')).toEqual({ value: 5 });
		expect(value('no')).toBeNull();
		expect(path.revision).toBe(0);
	});

	test('a vetoed write is reported with its hook and client, and refused as the hook said', async () => {
		const veto = new SocketDBError('FORBIDDEN', 'not yours');
		const { path, reports } = harness({
			register: (hooks) =>
				hooks.register('server:update', () => {
					throw veto;
				}),
		});
		await expect(path.update(diff({ a: 1 }), byClient, { session: 's', seq: 1 })).rejects.toBe(veto);
		expect(reports).toEqual([[veto, { hook: 'server:update', client }]]);
	});

	test('data a hook returns must be an object; one without a value changes nothing', async () => {
		const returning = (data: unknown) => harness({ register: (hooks) => hooks.register('server:update', () => ({ data: data as never })) }).path;
		await expect(returning(5).update(diff({ a: 2 }), SERVER)).rejects.toThrow('the root of the tree must stay an object');
		await expect(returning(5).updatePaths({ deleted: [], data: diff({ a: 2 }) }, SERVER)).rejects.toThrow('the root of the tree must stay an object');
		await expect(returning({ value: 3 }).updatePaths({ deleted: [], data: diff({ a: 2 }) }, SERVER)).rejects.toThrow('the root of the tree must stay an object');
		const unchanged = returning({});
		await expect(unchanged.update(diff({ a: 2 }), SERVER)).resolves.toBeUndefined();
		await expect(unchanged.updatePaths({ deleted: [], data: diff({ a: 2 }) }, SERVER)).resolves.toBeUndefined();
		expect(unchanged.revision).toBe(0);
	});

	test('an increment counts from the data as it is, after the deletes of the same write', () => {
		const { path, value } = harness({ data: { n: 5, m: 2 } });
		path.update({ value: { n: { sv: { increment: 2 } } } } as NodeDiff, SERVER, undefined, undefined, true);
		expect(value('n')).toEqual({ value: 7 });
		path.updatePaths({ deleted: ['m'], data: { value: { m: { sv: { increment: 3 } } } } as NodeDiff }, SERVER, undefined, undefined, true);
		expect(value('m')).toEqual({ value: 3 });
		// Not flagged as holding server values: stored as it came.
		path.update({ value: { k: { value: 1 } } }, SERVER, undefined, undefined, false);
		expect(value('k')).toEqual({ value: 1 });
	});
});

describe('a store that fails', () => {
	test("an error of the store's own reaches the writer as it is; the history is kept", () => {
		const { store, fail } = positionedStore();
		const { path, reports } = harness({ store });
		path.update(diff({ a: 1 }), SERVER);
		const refusal = new SocketDBError('INVALID_VALUE', 'the key is too long');
		fail({ put: refusal });
		expect(() => path.update(diff({ b: 1 }), byClient)).toThrow(refusal);
		expect(reports).toEqual([[refusal, { client }]]);
		expect(path.revision).toBe(1);
		expect(path.history.since(0, 1)).toHaveLength(1);
	});

	test('anything else is an internal error naming what failed; the history starts over', () => {
		const { store, fail } = positionedStore();
		const { path, reports, changes } = harness({ store });
		path.update(diff({ a: 1 }), SERVER);
		const broken = new Error('disk full');
		fail({ put: broken });
		const refused = (run: () => unknown) => {
			try {
				run();
			} catch (error) {
				return [(error as SocketDBError).code, (error as SocketDBError).message];
			}
			return undefined;
		};
		expect(refused(() => path.update(diff({ b: 1 }), SERVER))).toEqual(['INTERNAL_ERROR', 'the store failed to apply the write']);
		expect(reports).toEqual([[broken, { client: null }]]);
		expect(path.history.since(0, 1)).toBeUndefined();
		expect(path.history.since(1, 1)).toEqual([]);
		expect(refused(() => path.updatePaths({ deleted: [], data: diff({ b: 1 }) }, SERVER))).toEqual(['INTERNAL_ERROR', 'the store failed to apply the update']);
		fail({ del: broken });
		expect(refused(() => path.delete('a', byClient))).toEqual(['INTERNAL_ERROR', 'the store failed to apply the delete']);
		expect(reports.at(-1)).toEqual([broken, { client }]);
		expect(refused(() => path.updatePaths({ deleted: ['a'] }, SERVER))).toEqual(['INTERNAL_ERROR', 'the store failed to apply the update']);
		expect(path.revision).toBe(1);
		expect(changes).toHaveLength(1);
	});
});

describe("the database's id and position", () => {
	test('a store that kept a position starts there; serving drops the id durably, closing records it again', async () => {
		const { store, positions, flushes } = positionedStore({ revision: 7, database: 'db-1' });
		const { path } = harness({ store });
		expect(path.revision).toBe(7);
		expect(path.database).toBe('db-1');
		expect(path.position).toStrictEqual({ revision: 7, database: 'db-1' });
		await path.open();
		expect(positions).toEqual([{ revision: 7 }]);
		expect(flushes()).toBe(1);
		path.update(diff({ a: 1 }), SERVER);
		expect(positions.at(-1)).toEqual({ revision: 8 });
		path.close();
		expect(positions.at(-1)).toEqual({ revision: 8, database: 'db-1' });
	});

	test('a store that named no database gets a made-up id, which it is not told of, and nothing to drop', () => {
		const { store, positions } = positionedStore();
		const { path } = harness({ store });
		expect(path.database).toMatch(/^[0-9a-f-]{36}$/);
		expect(path.open()).toBeUndefined();
		expect(path.storedPosition).toEqual({ revision: 0 });
		expect(positions).toEqual([]);
		const inMemory = harness().path;
		expect(inMemory.open()).toBeUndefined();
		expect(() => inMemory.close()).not.toThrow();
	});

	test('a store whose data came from a shared log keeps its position as it is, with or without the log', async () => {
		const { store, positions } = positionedStore({ revision: 3, database: 'd', log: '0-3' });
		const { path } = harness({ store });
		expect(path.open()).toBeUndefined();
		path.close();
		expect(positions).toEqual([]);
		const replica = positionedStore();
		const { path: following } = replicated({ store: replica.store });
		following.close();
		expect(replica.positions).toEqual([]);
	});

	test('waiting until the store made the writes durable; a failed flush is reported and refuses the writes', async () => {
		const { store } = positionedStore();
		const { path, reports } = harness({ store });
		await new Promise<void>((resolve, reject) => path.afterDurable((error) => (error === undefined ? resolve() : reject(error))));
		const broken = new Error('fsync failed');
		store.flush = () => Promise.reject(broken);
		const failure = await new Promise<SocketDBError | undefined>((resolve) => path.afterDurable(resolve));
		expect(failure).toMatchObject({ code: 'INTERNAL_ERROR', message: 'the store could not make the write durable' });
		expect(reports).toEqual([[broken, {}]]);
	});

	test('joining a database: a store of another one at a revision refuses, an empty or the same one joins', () => {
		const { store } = positionedStore({ revision: 3, database: 'a' });
		const { path } = harness({ store });
		expect(() => path.setDatabase('b')).toThrow('the store holds the data of another database (a, at revision 3), not of this one (b); start from an empty store');
		path.setDatabase('a');
		expect(path.storedPosition).toEqual({ revision: 3, database: 'a' });
		const empty = positionedStore({ revision: 0, database: 'a' });
		const joined = harness({ store: empty.store });
		joined.path.setDatabase('b');
		expect(joined.path.database).toBe('b');
		expect(empty.positions).toEqual([{ revision: 0, database: 'b' }]);
	});

	test("taking another database's id forgets the history; the same id again keeps it", () => {
		const { path } = harness();
		path.update(diff({ a: 1 }), SERVER);
		path.setDatabase('cluster');
		expect(path.history.since(0, 1)).toBeUndefined();
		expect(path.history.since(1, 1)).toEqual([]);
		expect(path.storedPosition).toEqual({ revision: 1, database: 'cluster' });
		path.update(diff({ a: 2 }), SERVER);
		path.setDatabase('cluster');
		expect(path.history.since(1, 2)).toHaveLength(1);
	});
});

describe('a write on a process of a shared log', () => {
	test('a write goes to the log, is told that it is in line, and is applied with the revision the log gave it', async () => {
		const { store, positions } = positionedStore();
		const { path, appended, logNext, value, changes } = replicated({ store });
		path.setDatabase('cluster');
		const origin: Origin = { session: 's', seq: 1 };
		let queued = 0;
		const written = path.update(diff({ a: 1 }), byClient, origin, () => queued++);
		expect(written).toBeInstanceOf(Promise);
		expect(queued).toBe(1);
		expect(value('a')).toBeNull();
		await tick();
		expect(appended).toEqual([{ origin, kind: 'update', data: diff({ a: 1 }) }]);
		await logNext(5);
		await written;
		expect(value('a')).toEqual({ value: 1 });
		expect(path.revision).toBe(5);
		expect(path.position).toEqual({ revision: 5, database: 'cluster', log: '0-5' });
		expect(positions.at(-1)).toEqual({ revision: 5, database: 'cluster', log: '0-5' });
		expect(changes).toEqual([{ revision: 5, data: diff({ a: 1 }) }]);
		// The history starts after the revisions it never saw.
		expect(path.history.since(4, 5)).toHaveLength(1);
		expect(path.history.since(0, 5)).toBeUndefined();
	});

	test("the server's own writes get an origin of the process; deletes and several paths go to the log as such", async () => {
		const { path, appended, logNext, value } = replicated({ data: { a: 1, b: 1 } });
		const writes = [path.delete('a', SERVER), path.updatePaths({ deleted: ['b'], data: diff({ c: 1 }) }, SERVER), path.transaction({ path: 'c', expected: null, node: { value: 1 } }, SERVER)];
		await tick();
		expect(appended.map((entry) => [entry.kind, entry.origin.session.startsWith('server:'), entry.origin.seq])).toEqual([
			['delete', true, 1],
			['paths', true, 2],
			['paths', true, 3],
		]);
		expect(appended[1]).toMatchObject({ deleted: ['b'], data: diff({ c: 1 }) });
		expect(appended[2]).toMatchObject({ deleted: ['c'], expect: { path: 'c', value: null } });
		await logNext();
		const [deleted, paths, transaction] = await Promise.allSettled(writes);
		expect(deleted).toEqual({ status: 'fulfilled', value: undefined });
		expect(paths?.status).toBe('fulfilled');
		// The third found "c" written by the second.
		expect(transaction).toMatchObject({ status: 'rejected', reason: { code: 'CONFLICT', details: { value: 1 } } });
		expect(value('a')).toBeNull();
		expect(value('c')).toEqual({ value: 1 });
		expect(path.revision).toBe(3);
		const committed = path.transaction({ path: 'c', expected: 1, node: { value: 2 } }, SERVER);
		await logNext();
		await expect(committed).resolves.toEqual({ value: 2 });
	});

	test('increments in a logged entry count from the data of the process applying it', () => {
		const { path, log, value } = replicated({ data: { n: 5 } });
		const increment = { value: { n: { sv: { increment: 2 } } } } as NodeDiff;
		log.apply({ origin: { session: 'o', seq: 1 }, kind: 'paths', deleted: [], data: increment, revision: 1, log: '0-1', time: 1 });
		expect(value('n')).toEqual({ value: 7 });
		log.apply({ origin: { session: 'o', seq: 2 }, kind: 'update', data: increment, revision: 2, log: '0-2', time: 1 });
		expect(value('n')).toEqual({ value: 9 });
		expect(path.revision).toBe(2);
	});

	test('an entry that changes nothing here, a refusal, a conflict and a failed store all move the revision on', async () => {
		const { store, fail } = positionedStore();
		const { path, log, published } = replicated({ store, data: { a: 1 } });
		const entry = (revision: number, change: DistributiveOmit<LogEntry, 'origin'>) => ({ origin: { session: 'other', seq: revision }, ...change, revision, log: `0-${revision}`, time: 1 }) as Parameters<typeof log.apply>[0];
		log.apply(entry(1, { kind: 'update', data: diff({ a: 1 }) }));
		expect(path.revision).toBe(1);
		expect(path.history.since(0, 1)).toEqual([]);
		log.apply(entry(2, { kind: 'refusal', code: 'FORBIDDEN', message: 'no' }));
		expect(path.revision).toBe(2);
		log.apply(entry(3, { kind: 'paths', deleted: ['a'], expect: { path: 'a', value: 2 } }));
		expect(path.revision).toBe(3);
		expect(store.get('a')).toEqual({ value: 1 });
		log.apply(entry(4, { kind: 'paths', deleted: [] }));
		expect(path.revision).toBe(4);
		// Past a gap, an entry that changes nothing leaves a history that starts at it.
		log.apply(entry(10, { kind: 'update', data: diff({ a: 1 }) }));
		expect(path.history.since(9, 10)).toBeUndefined();
		expect(path.history.since(10, 10)).toEqual([]);
		fail({ put: new Error('disk full') });
		log.apply(entry(11, { kind: 'update', data: diff({ b: 1 }) }));
		expect(path.revision).toBe(11);
		expect(path.position.log).toBe('0-11');
		expect(published).toEqual([]);
		fail({});
		log.apply(entry(12, { kind: 'delete', path: 'a' }));
		expect(published).toEqual(['12 delete "a"']);
		expect(path.history.since(11, 12)).toHaveLength(1);
	});

	test('a vetoed write of a client is logged as refused, so that a resend elsewhere gets the same answer; the server’s own is not', async () => {
		const { path, appended } = replicated({
			register: (hooks) =>
				hooks.register('server:update', () => {
					throw new SocketDBError('FORBIDDEN', 'not yours');
				}),
		});
		await expect(path.update(diff({ a: 1 }), byClient, { session: 's', seq: 4 })).rejects.toThrow('not yours');
		await expect(path.update(diff({ a: 1 }), SERVER)).rejects.toThrow('not yours');
		await tick();
		expect(appended).toEqual([{ origin: { session: 's', seq: 4 }, kind: 'refusal', code: 'FORBIDDEN', message: 'not yours' }]);
	});

	test('waiting for a revision: nothing to wait for on its own or once reached; otherwise until applied, or the timeout', async () => {
		expect(harness().path.whenRevision(5, 1_000)).toBeUndefined();
		const { path, logNext } = replicated();
		expect(path.whenRevision(0, 1_000)).toBeUndefined();
		let reached = false;
		const waiting = path.whenRevision(2, 60_000)!.then(() => (reached = true));
		const timedOut = path.whenRevision(9, 5)!;
		void path.update(diff({ a: 1 }), SERVER);
		await logNext();
		expect(reached).toBe(false);
		void path.update(diff({ a: 2 }), SERVER);
		await logNext();
		await waiting;
		await timedOut;
		expect(path.revision).toBe(2);
		expect(path.whenRevision(2, 1_000)).toBeUndefined();
	});

	test('loading a snapshot replaces the data, empty objects included, and takes its position', async () => {
		const { store, positions } = positionedStore();
		const { path, published, value, logNext } = replicated({ store, data: { old: 1 } });
		void path.update(diff({ x: 1 }), SERVER);
		await logNext();
		const root = { value: { a: { value: {} }, b: { value: { c: { value: 1 }, d: { value: {} } } } } } as Node;
		let resumed = false;
		void path.whenRevision(40, 60_000)!.then(() => (resumed = true));
		published.length = 0;
		path.load(root, { revision: 40, log: '0-40', database: 'cluster' });
		expect(value()).toEqual(root);
		expect(value('old')).toBeNull();
		expect(storeKeys(store, 'b').sort()).toEqual(['c', 'd']);
		expect(path.revision).toBe(40);
		expect(path.position).toMatchObject({ revision: 40, log: '0-40' });
		expect(positions.at(-1)).toMatchObject({ revision: 40, log: '0-40' });
		expect(path.history.since(1, 40)).toBeUndefined();
		expect(path.history.since(40, 40)).toEqual([]);
		expect(published).toEqual(['40 delete ""', `40 change ${JSON.stringify(root)}`]);
		await tick();
		expect(resumed).toBe(true);
	});

	test('loading an empty snapshot leaves an empty store', () => {
		const { path, store, published } = replicated({ data: { old: 1 } });
		path.load({ value: {} }, { revision: 3, log: '0-3' });
		expect(storeKeys(store, '')).toEqual([]);
		expect(published).toEqual(['3 delete ""', '3 change {"value":{}}']);
		path.load({ value: {}, meta: { m: 1 } } as Node, { revision: 4, log: '0-4' });
		expect(store.get('')?.meta).toEqual({ m: 1 });
	});
});
