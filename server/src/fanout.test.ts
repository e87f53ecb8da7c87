import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { anchorAtPath, createStore, decodeFrame, diffAt, forEachTrieNode, MessageType, nodeify, parsePath, parseServerMessage } from '@socketdb/core';
import type { DataOp, NodeDiff, PathTrie, ServerMessage, Store } from '@socketdb/core';
import { canMerge, FanOut } from './fanout';
import type { Subscriber } from './fanout';

/** A subscriber that records what it is sent. */
class Recorder implements Subscriber {
	queued: Uint8Array[] = [];
	/** Everything flushed, one array of buffers per flush. */
	flushes: Uint8Array[][] = [];

	pushUpdate(_kind: string, _path: string, message: Uint8Array): void {
		this.queued.push(message);
	}

	flush(): void {
		this.flushes.push(this.queued);
		this.queued = [];
	}

	get buffers(): Uint8Array[] {
		return this.flushes.flat();
	}

	get messages(): ServerMessage[] {
		return this.buffers.flatMap((buffer) => decodeFrame(buffer).map(parseServerMessage));
	}

	/** DATA messages for `path`, as [path, ops]. */
	data(): { path: string; ops: DataOp[] }[] {
		return this.messages.flatMap((message) => (message.type === MessageType.DATA ? [{ path: pathsById.get(message.id)!, ops: message.ops }] : []));
	}

	keys(): { path: string; reset: boolean; added: string[]; removed: string[] }[] {
		return this.messages.flatMap((message) => (message.type === MessageType.KEYS ? [{ path: message.path, reset: message.reset, added: [...message.added].sort(), removed: [...message.removed].sort() }] : []));
	}
}

type Tries = { values: PathTrie<Subscriber>; keys: PathTrie<Subscriber> };
/** The fan-out's tries (private): the only way to check that no empty nodes are left. */
const triesOf = (fanout: FanOut) => fanout as unknown as Tries;

function emptyTrieNodes(trie: PathTrie<Subscriber>): string[] {
	const found: string[] = [];
	forEachTrieNode(trie.root, (node) => {
		if (node !== trie.root && node.isEmpty) found.push(node.path);
		if (node.children?.size === 0) found.push(`${node.path} (empty children)`);
		if (node.items?.size === 0) found.push(`${node.path} (empty items)`);
	});
	return found;
}

/** The revision of the last write the tests made. */
let revision = 0;

/** Writes like the server does: probe the keys, apply to the store, publish what was applied. */
function write(fanout: FanOut, store: Store, path: string, data: unknown, meta?: Record<string, unknown>): NodeDiff {
	const node: NodeDiff = nodeify(data as never);
	if (meta !== undefined) node.meta = meta;
	const diff = anchorAtPath(parsePath(path), node);
	const probe = fanout.probeKeys(diff, store);
	const applied = store.put(diff as never);
	fanout.publishChange(applied, probe, ++revision);
	return applied;
}

function remove(fanout: FanOut, store: Store, path: string): void {
	store.del(path);
	fanout.publishDelete(path, ++revision);
}

/** The path behind each DATA message's number, as the fan-outs of a test handed them out. */
const pathsById = new Map<number, string>();

let fanouts: FanOut[] = [];
function createFanOut(updateInterval: number): FanOut {
	const fanout = new FanOut(updateInterval);
	const subscribe = fanout.subscribeValue.bind(fanout);
	fanout.subscribeValue = (subscriber, path) => {
		const id = subscribe(subscriber, path);
		const known = pathsById.get(id);
		if (known !== undefined && known !== path) throw new Error(`two fan-outs in one test gave number ${id} to ${known} and ${path}`);
		pathsById.set(id, path);
		return id;
	};
	fanouts.push(fanout);
	return fanout;
}

beforeEach(() => {
	pathsById.clear();
	vi.useFakeTimers();
});

afterEach(() => {
	for (const fanout of fanouts) fanout.stop();
	fanouts = [];
	vi.useRealTimers();
});

describe('value subscriptions', () => {
	test('a change at a/b/c reaches subscribers of the root, its ancestors, itself and below, and nobody else', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		const paths = ['', 'a', 'a/b', 'a/b/c', 'a/b/c/d', 'a/x', 'a/bc', 'a/b/x', 'z', 'a/b/c/untouched', 'ab'];
		const subscribers = new Map(paths.map((path) => [path, new Recorder()]));
		for (const [path, subscriber] of subscribers) fanout.subscribeValue(subscriber, path);

		const applied = write(fanout, store, 'a/b/c', { d: 1, e: { f: 2 } });
		fanout.flush();

		for (const path of ['', 'a', 'a/b', 'a/b/c', 'a/b/c/d']) {
			const received = subscribers.get(path)!.data();
			expect(received, path).toEqual([{ path, ops: [diffAt(applied, parsePath(path))] }]);
		}
		expect(subscribers.get('a/b/c/d')!.data()[0]!.ops).toEqual([{ value: 1 }]);
		for (const path of ['a/x', 'a/bc', 'a/b/x', 'z', 'a/b/c/untouched', 'ab']) {
			expect(subscribers.get(path)!.buffers, path).toEqual([]);
			expect(subscribers.get(path)!.flushes, path).toEqual([]);
		}
	});

	test('ops are relative to the subscribed path', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		const a = new Recorder();
		fanout.subscribeValue(a, 'users');
		write(fanout, store, 'users/1', { name: 'Ada' });
		fanout.flush();
		expect(a.data()).toEqual([{ path: 'users', ops: [nodeify({ 1: { name: 'Ada' } })] }]);
	});

	test('meta changes reach subscribers', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		write(fanout, store, 'a', { b: 1 });
		fanout.flush();
		const subscriber = new Recorder();
		fanout.subscribeValue(subscriber, 'a');
		write(fanout, store, 'a', {}, { updated: 5 });
		fanout.flush();
		expect(subscriber.data()).toEqual([{ path: 'a', ops: [{ meta: { updated: 5 } }] }]);
	});

	test('10,000 subscribers on other paths receive nothing', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		const others: Recorder[] = [];
		for (let i = 0; i < 10_000; i++) {
			const subscriber = new Recorder();
			others.push(subscriber);
			fanout.subscribeValue(subscriber, i % 2 === 0 ? `users/${i}` : `rooms/${i}/messages`);
		}
		const target = new Recorder();
		fanout.subscribeValue(target, 'users/target');
		write(fanout, store, 'users/target/name', 'Ada');
		fanout.flush();
		expect(target.data()).toEqual([{ path: 'users/target', ops: [nodeify({ name: 'Ada' })] }]);
		expect(others.filter((subscriber) => subscriber.buffers.length > 0 || subscriber.flushes.length > 0)).toEqual([]);
	});

	test('a write does not look at the subscriptions on sibling paths it does not touch', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		for (let i = 0; i < 10_000; i++) {
			fanout.subscribeValue(new Recorder(), `users/${i}`);
			fanout.subscribeKeys(new Recorder(), `users/${i}`);
		}
		const target = new Recorder();
		fanout.subscribeValue(target, 'users/42');

		// Count every step over the children of `users` in both tries.
		let steps = 0;
		for (const trie of [triesOf(fanout).values, triesOf(fanout).keys]) {
			const children = trie.find('users')!.children!;
			const entries = children.entries.bind(children);
			const values = children.values.bind(children);
			const keys = children.keys.bind(children);
			const forEach = children.forEach.bind(children);
			const counted = function* <T>(iterator: IterableIterator<T>) {
				for (const item of iterator) {
					steps++;
					yield item;
				}
			};
			Object.assign(children, {
				[Symbol.iterator]: () => counted(entries()),
				entries: () => counted(entries()),
				values: () => counted(values()),
				keys: () => counted(keys()),
				forEach: (callback: (value: unknown, key: string, map: Map<string, unknown>) => void) =>
					forEach((value, key, map) => {
						steps++;
						callback(value, key, map);
					}),
			});
		}

		write(fanout, store, 'users/42/name', 'Ada');
		remove(fanout, store, 'users/42/name');
		fanout.flush();
		expect(target.data()).toEqual([{ path: 'users/42', ops: [nodeify({ name: 'Ada' }), 'name'] }]);
		// A write to users/42 must cost about the depth of its path, not the 10,000 sibling subscriptions.
		expect(steps).toBeLessThan(100);
	});

	test('many subscribers of one path share one encoded buffer', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		const onA = [new Recorder(), new Recorder(), new Recorder()];
		const onB = [new Recorder(), new Recorder()];
		for (const subscriber of onA) fanout.subscribeValue(subscriber, 'a');
		for (const subscriber of onB) fanout.subscribeValue(subscriber, 'a/b');
		write(fanout, store, 'a/b', { c: 1 });
		fanout.flush();
		const [first, ...rest] = onA.map((subscriber) => subscriber.buffers);
		expect(first).toHaveLength(1);
		for (const buffers of rest) expect(buffers[0]).toBe(first![0]);
		expect(onB[0]!.buffers).toHaveLength(1);
		expect(onB[1]!.buffers[0]).toBe(onB[0]!.buffers[0]);
		expect(onB[0]!.buffers[0]).not.toBe(first![0]);
	});

	test('a subscriber of several affected paths gets one message per path and one flush', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		const subscriber = new Recorder();
		fanout.subscribeValue(subscriber, 'a');
		fanout.subscribeValue(subscriber, 'a/b');
		fanout.subscribeKeys(subscriber, 'a');
		write(fanout, store, 'a/b', { c: 1 });
		fanout.flush();
		expect(subscriber.flushes).toHaveLength(1);
		expect(subscriber.data().map((message) => message.path).sort()).toEqual(['a', 'a/b']);
		expect(subscriber.keys()).toEqual([{ path: 'a', reset: false, added: ['b'], removed: [] }]);
	});

	test('a leaf replacing an object sends a delete to subscribers below it', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		write(fanout, store, 'a', { b: { c: 1, d: { e: 2 } } });
		fanout.flush();
		const onA = new Recorder();
		const onB = new Recorder();
		const onC = new Recorder();
		const onE = new Recorder();
		fanout.subscribeValue(onA, 'a');
		fanout.subscribeValue(onB, 'a/b');
		fanout.subscribeValue(onC, 'a/b/c');
		fanout.subscribeValue(onE, 'a/b/d/e');
		write(fanout, store, 'a/b', 'leaf');
		fanout.flush();
		expect(onA.data()).toEqual([{ path: 'a', ops: [nodeify({ b: 'leaf' })] }]);
		expect(onB.data()).toEqual([{ path: 'a/b', ops: [{ value: 'leaf' }] }]);
		expect(onC.data()).toEqual([{ path: 'a/b/c', ops: [''] }]);
		expect(onE.data()).toEqual([{ path: 'a/b/d/e', ops: [''] }]);
	});
});

describe('deletes', () => {
	test('reach ancestors as a relative path and the path and its descendants as ""', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		write(fanout, store, 'a', { b: { c: { d: 1 } }, x: 1 });
		fanout.flush();
		const paths = ['', 'a', 'a/b', 'a/b/c', 'a/b/c/d', 'a/x', 'a/bc', 'z'];
		const subscribers = new Map(paths.map((path) => [path, new Recorder()]));
		for (const [path, subscriber] of subscribers) fanout.subscribeValue(subscriber, path);

		remove(fanout, store, 'a/b');
		fanout.flush();

		expect(subscribers.get('')!.data()).toEqual([{ path: '', ops: ['a/b'] }]);
		expect(subscribers.get('a')!.data()).toEqual([{ path: 'a', ops: ['b'] }]);
		expect(subscribers.get('a/b')!.data()).toEqual([{ path: 'a/b', ops: [''] }]);
		expect(subscribers.get('a/b/c')!.data()).toEqual([{ path: 'a/b/c', ops: [''] }]);
		expect(subscribers.get('a/b/c/d')!.data()).toEqual([{ path: 'a/b/c/d', ops: [''] }]);
		for (const path of ['a/x', 'a/bc', 'z']) expect(subscribers.get(path)!.buffers, path).toEqual([]);
	});

	test('deleting the root reaches everyone as ""', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		const paths = ['', 'a', 'a/b', 'z/y'];
		const subscribers = new Map(paths.map((path) => [path, new Recorder()]));
		for (const [path, subscriber] of subscribers) fanout.subscribeValue(subscriber, path);
		remove(fanout, store, '');
		fanout.flush();
		for (const path of paths) expect(subscribers.get(path)!.data(), path).toEqual([{ path, ops: [''] }]);
	});

	test('a delete after changes replaces them for the deleted path and is queued after them for ancestors', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		const onA = new Recorder();
		const onB = new Recorder();
		fanout.subscribeValue(onA, 'a');
		fanout.subscribeValue(onB, 'a/b');
		write(fanout, store, 'a/b', { c: 1 });
		remove(fanout, store, 'a/b');
		vi.advanceTimersByTime(50);
		expect(onB.data()).toEqual([{ path: 'a/b', ops: [''] }]);
		expect(onA.data()).toEqual([{ path: 'a', ops: [nodeify({ b: { c: 1 } }), 'b'] }]);
	});

	test('a change after a delete is queued after it', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		write(fanout, store, 'a/b', { c: 1 });
		vi.advanceTimersByTime(50);
		const onB = new Recorder();
		fanout.subscribeValue(onB, 'a/b');
		remove(fanout, store, 'a/b');
		write(fanout, store, 'a/b', { d: 2 });
		vi.advanceTimersByTime(50);
		expect(onB.data()).toEqual([{ path: 'a/b', ops: ['', nodeify({ d: 2 })] }]);
	});
});

describe('batching', () => {
	test('with updateInterval > 0 changes are sent after the interval, merged per path (latest wins)', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		const onA = new Recorder();
		const onRoot = new Recorder();
		fanout.subscribeValue(onA, 'a');
		fanout.subscribeValue(onRoot, '');
		write(fanout, store, 'a/x', 1);
		write(fanout, store, 'a/y', { deep: 2 });
		write(fanout, store, 'a/x', 3);
		write(fanout, store, 'a/y/deep', 4);
		vi.advanceTimersByTime(49);
		expect(onA.flushes).toEqual([]);
		vi.advanceTimersByTime(1);
		expect(onA.data()).toEqual([{ path: 'a', ops: [nodeify({ x: 3, y: { deep: 4 } })] }]);
		expect(onRoot.data()).toEqual([{ path: '', ops: [nodeify({ a: { x: 3, y: { deep: 4 } } })] }]);
		expect(onA.flushes).toHaveLength(1);
	});

	test('with updateInterval > 0 batches go out one interval apart, counted from the start of the previous flush', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		// A flush that takes 30 ms, as sending to many sockets does; meanwhile nothing else runs.
		const slow = new Recorder();
		slow.flush = () => {
			Recorder.prototype.flush.call(slow);
			vi.advanceTimersByTime(30);
		};
		fanout.subscribeValue(slow, 'a');
		write(fanout, store, 'a', 1);
		vi.advanceTimersByTime(50);
		expect(slow.flushes).toHaveLength(1);
		// Read right after that flush ended: due one interval after it began, 20 ms from now.
		write(fanout, store, 'a', 2);
		vi.advanceTimersByTime(19);
		expect(slow.flushes).toHaveLength(1);
		vi.advanceTimersByTime(1);
		expect(slow.data().map(({ ops }) => ops)).toEqual([[nodeify(1)], [nodeify(2)]]);
		// After a quiet interval, a change waits a whole interval again.
		vi.advanceTimersByTime(200);
		write(fanout, store, 'a', 3);
		vi.advanceTimersByTime(49);
		expect(slow.flushes).toHaveLength(2);
		vi.advanceTimersByTime(1);
		expect(slow.data().map(({ ops }) => ops)).toEqual([[nodeify(1)], [nodeify(2)], [nodeify(3)]]);
	});

	test('merging does not change the diffs it merged', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		fanout.subscribeValue(new Recorder(), '');
		fanout.subscribeValue(new Recorder(), 'a');
		const first = write(fanout, store, 'a', { x: 1, list: [1] });
		const copy = structuredClone(first);
		write(fanout, store, 'a', { x: 2, y: 3, list: [2] });
		write(fanout, store, 'a', { z: { w: 1 } });
		vi.advanceTimersByTime(50);
		expect(first).toEqual(copy);
	});

	test('a leaf followed by an object is not merged (the object replaces the leaf)', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		write(fanout, store, 'a', { old: 1 });
		vi.advanceTimersByTime(50);
		const onA = new Recorder();
		const onRoot = new Recorder();
		fanout.subscribeValue(onA, 'a');
		fanout.subscribeValue(onRoot, '');
		write(fanout, store, 'a', 'leaf');
		write(fanout, store, 'a', { fresh: 1 });
		write(fanout, store, 'a', { more: 2 });
		vi.advanceTimersByTime(50);
		expect(onA.data()).toEqual([{ path: 'a', ops: [{ value: 'leaf' }, nodeify({ fresh: 1, more: 2 })] }]);
		expect(onRoot.data()).toEqual([{ path: '', ops: [nodeify({ a: 'leaf' }), nodeify({ a: { fresh: 1, more: 2 } })] }]);
		expect(store.get('a')).toEqual(nodeify({ fresh: 1, more: 2 }));
	});

	test('applying the sent ops in order gives the stored state', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		const onRoot = new Recorder();
		fanout.subscribeValue(onRoot, '');
		write(fanout, store, 'a', { b: 1, c: { d: 1 } });
		write(fanout, store, 'a/c', 'leaf');
		write(fanout, store, 'a/c', { e: 1 });
		write(fanout, store, 'a/b', [1, 2]);
		remove(fanout, store, 'a/c/e');
		write(fanout, store, 'f', null);
		vi.advanceTimersByTime(50);
		const mirror = createStore();
		for (const op of onRoot.data().flatMap((message) => message.ops)) {
			if (typeof op === 'string') mirror.del(op);
			else mirror.put(op as never);
		}
		expect(mirror.get()).toEqual(store.get());
	});

	test('with updateInterval 0 nothing is merged: every op is delivered, in order', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		const onA = new Recorder();
		fanout.subscribeValue(onA, 'a');
		write(fanout, store, 'a/x', 1);
		write(fanout, store, 'a/x', 2);
		write(fanout, store, 'a/y', 3);
		remove(fanout, store, 'a/y');
		write(fanout, store, 'a/z', 4);
		expect(onA.flushes).toEqual([]);
		vi.runAllTimers();
		expect(onA.data()).toEqual([{ path: 'a', ops: [nodeify({ x: 1 }), nodeify({ x: 2 }), nodeify({ y: 3 }), 'y', nodeify({ z: 4 })] }]);
	});

	test('flush() sends right away and cancels nothing that comes later', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		const onA = new Recorder();
		fanout.subscribeValue(onA, 'a');
		write(fanout, store, 'a/x', 1);
		fanout.flush();
		expect(onA.data()).toHaveLength(1);
		write(fanout, store, 'a/x', 2);
		vi.advanceTimersByTime(50);
		expect(onA.data()).toHaveLength(2);
		vi.runAllTimers();
		expect(onA.flushes).toHaveLength(2);
	});

	test('stop() drops what is queued', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		const onA = new Recorder();
		fanout.subscribeValue(onA, 'a');
		write(fanout, store, 'a/x', 1);
		fanout.stop();
		vi.runAllTimers();
		fanout.flush();
		expect(onA.flushes).toEqual([]);
	});

	test('nothing is sent to a subscriber that unsubscribed before the flush', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		const onA = new Recorder();
		fanout.subscribeValue(onA, 'a');
		write(fanout, store, 'a/x', 1);
		fanout.unsubscribeValue(onA, 'a');
		vi.advanceTimersByTime(50);
		expect(onA.flushes).toEqual([]);
	});
});

describe('canMerge', () => {
	test('true unless the later diff turns a leaf of the earlier one into an object', () => {
		expect(canMerge(nodeify({ a: 1 }), nodeify({ a: 2 }))).toBe(true);
		expect(canMerge(nodeify({ a: { b: 1 } }), nodeify({ a: { c: 1 } }))).toBe(true);
		expect(canMerge(nodeify({ a: 1 }), nodeify({ b: { c: 1 } }))).toBe(true);
		expect(canMerge(nodeify({ a: { b: 1 } }), nodeify({ a: 'leaf' }))).toBe(true);
		expect(canMerge({ meta: { x: 1 } }, nodeify({ a: 1 }))).toBe(true);
		expect(canMerge(nodeify({ a: 1 }), { value: {} })).toBe(true);
		expect(canMerge(nodeify({ a: 'leaf' }), nodeify({ a: { b: 1 } }))).toBe(false);
		expect(canMerge({ value: 'leaf' }, nodeify({ b: 1 }))).toBe(false);
		expect(canMerge(nodeify({ a: { b: [1] } }), nodeify({ a: { b: { c: 1 } } }))).toBe(false);
	});
});

describe('keys subscriptions', () => {
	test('report only keys that did not exist before', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		write(fanout, store, 'users', { 1: { name: 'Ada' } });
		fanout.flush();
		const subscriber = new Recorder();
		fanout.subscribeKeys(subscriber, 'users');
		write(fanout, store, 'users', { 1: { name: 'Ada L.' }, 2: { name: 'Bob' } });
		write(fanout, store, 'users/1/age', 36);
		fanout.flush();
		expect(subscriber.keys()).toEqual([{ path: 'users', reset: false, added: ['2'], removed: [] }]);
	});

	test('probeKeys returns undefined without keys subscriptions or when no watched path is reached', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		expect(fanout.probeKeys(nodeify({ users: { 1: 1 } }), store)).toBeUndefined();
		fanout.subscribeKeys(new Recorder(), 'users');
		expect(fanout.probeKeys(nodeify({ rooms: { 1: 1 } }), store)).toBeUndefined();
		expect(fanout.probeKeys(nodeify({ users: { 1: 1 } }), store)).toEqual(new Map([['users', new Set(['1'])]]));
	});

	test('a key that only changes meta or children is not new', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		write(fanout, store, 'users', { 1: { name: 'Ada' } });
		const subscriber = new Recorder();
		fanout.subscribeKeys(subscriber, 'users');
		write(fanout, store, 'users/1', {}, { seen: 1 });
		write(fanout, store, 'users/1/name', 'Ada L.');
		fanout.flush();
		expect(subscriber.keys()).toEqual([]);
	});

	test('keys at the root and below several watched paths', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		const onRoot = new Recorder();
		const onRooms = new Recorder();
		const onMessages = new Recorder();
		fanout.subscribeKeys(onRoot, '');
		fanout.subscribeKeys(onRooms, 'rooms');
		fanout.subscribeKeys(onMessages, 'rooms/r1/messages');
		write(fanout, store, 'rooms/r1/messages/m1', { text: 'hi' });
		fanout.flush();
		expect(onRoot.keys()).toEqual([{ path: '', reset: false, added: ['rooms'], removed: [] }]);
		expect(onRooms.keys()).toEqual([{ path: 'rooms', reset: false, added: ['r1'], removed: [] }]);
		expect(onMessages.keys()).toEqual([{ path: 'rooms/r1/messages', reset: false, added: ['m1'], removed: [] }]);
	});

	test('deletes report removed keys to the parent only', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		write(fanout, store, 'users', { 1: { name: 'Ada' }, 2: { name: 'Bob' } });
		fanout.flush();
		const onRoot = new Recorder();
		const onUsers = new Recorder();
		fanout.subscribeKeys(onRoot, '');
		fanout.subscribeKeys(onUsers, 'users');
		remove(fanout, store, 'users/1');
		fanout.flush();
		expect(onUsers.keys()).toEqual([{ path: 'users', reset: false, added: [], removed: ['1'] }]);
		expect(onRoot.keys()).toEqual([]);
	});

	test('a delete above resets', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		write(fanout, store, 'a', { users: { 1: 1 } });
		fanout.flush();
		const onUsers = new Recorder();
		const onA = new Recorder();
		fanout.subscribeKeys(onUsers, 'a/users');
		fanout.subscribeKeys(onA, 'a');
		remove(fanout, store, 'a');
		fanout.flush();
		expect(onUsers.keys()).toEqual([{ path: 'a/users', reset: true, added: [], removed: [] }]);
		expect(onA.keys()).toEqual([{ path: 'a', reset: true, added: [], removed: [] }]);
	});

	test('a leaf written above or at the path resets', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		write(fanout, store, 'a', { users: { 1: 1 } });
		fanout.flush();
		const onUsers = new Recorder();
		fanout.subscribeKeys(onUsers, 'a/users');
		write(fanout, store, 'a', 'leaf');
		fanout.flush();
		expect(onUsers.keys()).toEqual([{ path: 'a/users', reset: true, added: [], removed: [] }]);
		write(fanout, store, 'a/users', { 2: 2 });
		fanout.flush();
		write(fanout, store, 'a/users', 5);
		fanout.flush();
		expect(onUsers.keys().slice(1)).toEqual([
			{ path: 'a/users', reset: false, added: ['2'], removed: [] },
			{ path: 'a/users', reset: true, added: [], removed: [] },
		]);
	});

	test('within one interval: added then removed is reported as removed; removed then re-added as both', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		write(fanout, store, 'users', { old: 1 });
		vi.advanceTimersByTime(50);
		const subscriber = new Recorder();
		fanout.subscribeKeys(subscriber, 'users');
		write(fanout, store, 'users/new', 1);
		remove(fanout, store, 'users/new');
		remove(fanout, store, 'users/old');
		write(fanout, store, 'users/old', 2);
		vi.advanceTimersByTime(50);
		// The client applies removals before additions.
		expect(subscriber.keys()).toEqual([{ path: 'users', reset: false, added: ['old'], removed: ['new', 'old'] }]);
	});

	test('a reset followed by new keys in one interval reports both', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		write(fanout, store, 'users', { a: 1 });
		vi.advanceTimersByTime(50);
		const subscriber = new Recorder();
		fanout.subscribeKeys(subscriber, 'users');
		remove(fanout, store, 'users');
		write(fanout, store, 'users', { b: 1 });
		vi.advanceTimersByTime(50);
		expect(subscriber.keys()).toEqual([{ path: 'users', reset: true, added: ['b'], removed: [] }]);
	});

	test('subscribers of the same keys path share one buffer', () => {
		const fanout = createFanOut(0);
		const store = createStore();
		const a = new Recorder();
		const b = new Recorder();
		fanout.subscribeKeys(a, 'users');
		fanout.subscribeKeys(b, 'users');
		write(fanout, store, 'users/1', 1);
		fanout.flush();
		expect(a.buffers).toHaveLength(1);
		expect(b.buffers[0]).toBe(a.buffers[0]);
	});
});

describe('subscriptions', () => {
	test('a path keeps its number while subscribed; unsubscribe is false for an unknown one; size counts both kinds', () => {
		const fanout = createFanOut(0);
		const subscriber = new Recorder();
		const id = fanout.subscribeValue(subscriber, 'a');
		expect(fanout.subscribeValue(subscriber, 'a')).toBe(id);
		expect(fanout.subscribeValue(new Recorder(), 'a')).toBe(id);
		expect(fanout.subscribeValue(subscriber, 'b')).not.toBe(id);
		fanout.unsubscribeValue(subscriber, 'b');
		expect(fanout.subscribeKeys(subscriber, 'a')).toBe(true);
		expect(fanout.size).toBe(3);
		expect(fanout.unsubscribeValue(subscriber, 'b')).toBe(false);
		expect(fanout.unsubscribeKeys(new Recorder(), 'a')).toBe(false);
		expect(fanout.unsubscribeValue(subscriber, 'a')).toBe(true);
		expect(fanout.unsubscribeKeys(subscriber, 'a')).toBe(true);
		expect(fanout.size).toBe(1);
	});

	test('a path nobody watches any more gets a new number when watched again', () => {
		const fanout = createFanOut(0);
		const subscriber = new Recorder();
		const first = fanout.subscribeValue(subscriber, 'a');
		fanout.unsubscribeValue(subscriber, 'a');
		pathsById.clear();
		expect(fanout.subscribeValue(subscriber, 'a')).not.toBe(first);
	});

	test('unsubscribing leaves no empty trie nodes', () => {
		const fanout = createFanOut(0);
		const subscribers = Array.from({ length: 20 }, () => new Recorder());
		const paths = ['', 'a', 'a/b', 'a/b/c/d/e', 'a/x', 'users/1', 'users/2/name', 'rooms/r/messages'];
		subscribers.forEach((subscriber, i) => {
			for (const path of paths.slice(i % paths.length)) {
				fanout.subscribeValue(subscriber, path);
				fanout.subscribeKeys(subscriber, path);
			}
		});
		const tries = triesOf(fanout);
		// Unsubscribe half, check, then the rest.
		subscribers.forEach((subscriber, i) => {
			if (i % 2 === 0) for (const path of paths) {
				fanout.unsubscribeValue(subscriber, path);
				fanout.unsubscribeKeys(subscriber, path);
			}
		});
		expect(emptyTrieNodes(tries.values)).toEqual([]);
		expect(emptyTrieNodes(tries.keys)).toEqual([]);
		subscribers.forEach((subscriber) => {
			for (const path of paths) {
				fanout.unsubscribeValue(subscriber, path);
				fanout.unsubscribeKeys(subscriber, path);
			}
		});
		expect(fanout.size).toBe(0);
		for (const trie of [tries.values, tries.keys]) {
			expect(trie.root.children).toBeUndefined();
			expect(trie.root.items).toBeUndefined();
		}
	});
});

describe('a subscriber joining while changes are queued', () => {
	test('the queued changes go to the existing subscribers at once, never to the newcomer', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		const early = new Recorder();
		fanout.subscribeValue(early, 'room');
		write(fanout, store, 'room/title', 'first');
		const late = new Recorder();
		fanout.subscribeValue(late, 'room');
		expect(early.data()).toEqual([{ path: 'room', ops: [{ value: { title: { value: 'first' } } }] }]);
		write(fanout, store, 'room/title', 'second');
		fanout.flush();
		expect(late.data()).toEqual([{ path: 'room', ops: [{ value: { title: { value: 'second' } } }] }]);
		expect(early.data()).toHaveLength(2);
	});

	test('changes queued for a path nobody watches any more are dropped, not replayed to the next subscriber', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		const first = new Recorder();
		fanout.subscribeValue(first, 'room');
		write(fanout, store, 'room/title', 'old');
		fanout.unsubscribeValue(first, 'room');
		write(fanout, store, 'room/title', 'while nobody listened');
		const next = new Recorder();
		fanout.subscribeValue(next, 'room');
		fanout.flush();
		expect(next.data()).toEqual([]);
		expect(first.data()).toEqual([]);
	});

	test('the same holds for keys subscriptions', () => {
		const fanout = createFanOut(50);
		const store = createStore();
		const early = new Recorder();
		fanout.subscribeKeys(early, 'users');
		write(fanout, store, 'users/1', { name: 'a' });
		const late = new Recorder();
		fanout.subscribeKeys(late, 'users');
		expect(early.keys()).toEqual([{ path: 'users', reset: false, added: ['1'], removed: [] }]);
		fanout.flush();
		expect(late.keys()).toEqual([]);
	});
});

describe('pacing flushes when updateInterval is 0', () => {
	test('after an expensive flush, changes that arrive meanwhile share the next frame; nothing is merged', async () => {
		vi.useRealTimers();
		const fanout = createFanOut(0);
		const store = createStore();
		const slow = new Recorder();
		const flushOnce = slow.flush.bind(slow);
		// A subscriber whose socket writes take 3 ms, like a fan-out to many connections.
		slow.flush = () => {
			const until = performance.now() + 3;
			while (performance.now() < until);
			flushOnce();
		};
		fanout.subscribeValue(slow, 'counter');
		write(fanout, store, 'counter', 0);
		await new Promise((resolve) => setImmediate(resolve));
		expect(slow.flushes).toHaveLength(1);
		for (let i = 1; i <= 5; i++) {
			write(fanout, store, 'counter', i);
			await new Promise((resolve) => setImmediate(resolve));
		}
		// Every value arrives, in order, in fewer frames than writes.
		await vi.waitFor(() => expect(slow.data().flatMap((message) => message.ops)).toEqual([0, 1, 2, 3, 4, 5].map((value) => ({ value }))));
		expect(slow.flushes.length).toBeLessThan(6);
	});

	test('cheap flushes go out at the end of the tick, one per write', async () => {
		vi.useRealTimers();
		const fanout = createFanOut(0);
		const store = createStore();
		const quick = new Recorder();
		fanout.subscribeValue(quick, 'counter');
		for (let i = 0; i < 3; i++) {
			write(fanout, store, 'counter', i);
			await new Promise((resolve) => setImmediate(resolve));
		}
		expect(quick.flushes).toHaveLength(3);
	});
});

describe('a flush held up by a long event-loop turn', () => {
	const busyFor = (ms: number) => {
		const until = performance.now() + ms;
		while (performance.now() < until);
	};

	test('with updateInterval 0 it goes out once it is overdue, without waiting for the turn to end', () => {
		vi.useRealTimers();
		const fanout = createFanOut(0);
		const store = createStore();
		const subscriber = new Recorder();
		fanout.subscribeValue(subscriber, 'counter');
		// The time before the write: however slow the machine, the change is not overdue at it.
		const beforeWrite = performance.now();
		write(fanout, store, 'counter', 1);
		fanout.flushIfOverdue(beforeWrite);
		expect(subscriber.flushes).toHaveLength(0);
		busyFor(1.5);
		fanout.flushIfOverdue(performance.now());
		expect(subscriber.data()).toEqual([{ path: 'counter', ops: [{ value: 1 }] }]);
	});

	test('with an interval it goes out once the interval has passed, and only once', async () => {
		vi.useRealTimers();
		const fanout = createFanOut(20);
		const store = createStore();
		const subscriber = new Recorder();
		fanout.subscribeValue(subscriber, 'counter');
		// Times the test controls: 10 ms after a moment before the write is within the interval,
		// whatever the machine's load; 21 ms of busy turn after the write is past it.
		const beforeWrite = performance.now();
		write(fanout, store, 'counter', 1);
		fanout.flushIfOverdue(beforeWrite + 10);
		expect(subscriber.flushes).toHaveLength(0);
		busyFor(21);
		fanout.flushIfOverdue(performance.now());
		expect(subscriber.flushes).toHaveLength(1);
		// The timer it replaced sends nothing: the next write is the next frame, alone.
		write(fanout, store, 'counter', 2);
		await vi.waitFor(() => expect(subscriber.flushes).toHaveLength(2));
		expect(subscriber.data()).toEqual([
			{ path: 'counter', ops: [{ value: 1 }] },
			{ path: 'counter', ops: [{ value: 2 }] },
		]);
	});

	test('nothing queued, nothing sent', () => {
		vi.useRealTimers();
		const fanout = createFanOut(0);
		const subscriber = new Recorder();
		fanout.subscribeValue(subscriber, 'counter');
		fanout.flushIfOverdue(performance.now() + 1000);
		expect(subscriber.flushes).toHaveLength(0);
	});
});

describe('confirmCurrent (an acknowledged write tells its writer which of its subscriptions are current)', () => {
	const paths = ['', 'a', 'a/b', 'a/b/c', 'a/b/c/d', 'a/b/x', 'a/bc', 'z'];

	function confirmed(write: (fanout: FanOut, subscriber: Recorder) => void, queue?: (fanout: FanOut, store: Store) => void) {
		const fanout = createFanOut(50);
		const store = createStore();
		const writer = new Recorder();
		const other = new Recorder();
		for (const path of paths) fanout.subscribeValue(writer, path);
		fanout.subscribeValue(other, 'a');
		queue?.(fanout, store);
		write(fanout, writer);
		writer.flush();
		other.flush();
		const messages = writer.messages.filter((message) => message.type === MessageType.DATA);
		expect(other.messages).toEqual([]);
		for (const message of messages) expect(message).toMatchObject({ ops: [], rev: fanout.latestRevision });
		return writer.data().map(({ path }) => path);
	}

	test('a set: the paths at and above it, and below it where its diff goes (everything below a leaf)', () => {
		expect(confirmed((fanout, writer) => fanout.confirmCurrent(writer, 'a/b', nodeify({ c: { d: 1 } }) as NodeDiff))).toEqual(['', 'a', 'a/b', 'a/b/c', 'a/b/c/d']);
		expect(confirmed((fanout, writer) => fanout.confirmCurrent(writer, 'a/b', nodeify(5) as NodeDiff))).toEqual(['', 'a', 'a/b', 'a/b/c', 'a/b/c/d', 'a/b/x']);
		expect(confirmed((fanout, writer) => fanout.confirmCurrent(writer, 'a/b', { meta: { m: 1 } }))).toEqual(['', 'a', 'a/b']);
		expect(confirmed((fanout, writer) => fanout.confirmCurrent(writer, 'q/r', nodeify(1) as NodeDiff))).toEqual(['']);
	});

	test('a delete: the paths at, above and below it', () => {
		expect(confirmed((fanout, writer) => fanout.confirmCurrent(writer, 'a/b', undefined))).toEqual(['', 'a', 'a/b', 'a/b/c', 'a/b/c/d', 'a/b/x']);
	});

	test('not where changes are queued: their DATA says so when it goes out', () => {
		const queued = (fanout: FanOut, store: Store) => write(fanout, store, 'a/b/c', { d: 2 });
		expect(confirmed((fanout, writer) => fanout.confirmCurrent(writer, 'a/b', nodeify({ c: { d: 1 } }) as NodeDiff), queued)).toEqual([]);
		expect(confirmed((fanout, writer) => fanout.confirmCurrent(writer, 'a/b/x', nodeify(1) as NodeDiff), queued)).toEqual(['a/b/x']);
	});
});
