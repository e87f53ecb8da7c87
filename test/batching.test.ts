import { isDeepStrictEqual } from 'node:util';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, test } from 'vitest';
import { unwrap } from '@socketdb/core';
import { cleanup, connectClient, record, sleep, startServer, waitFor } from './helpers/server';
import { randomNumbers as random } from './helpers/random';

afterEach(cleanup);

const COUNT = 200;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Deep equality of JSON data, ignoring key order and prototypes. */
function same(a: unknown, b: unknown): boolean {
	const plain = (value: unknown) => (value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown));
	return isDeepStrictEqual(plain(a), plain(b));
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)]!;
}


describe('updateInterval: 0', () => {
	async function setup() {
		const { url } = await startServer({ updateInterval: 0 });
		const writer = connectClient(url);
		const reader = connectClient(url);
		const remote = record<number>(reader.get('counter'));
		const own = record<number>(writer.get('counter'));
		await waitFor(() => remote.values.length === 1 && own.values.length === 1, 'the initial values');
		return { writer, remote, own };
	}

	test('every value of awaited sets, one per loop turn, reaches subscribers in order', async () => {
		const { writer, remote, own } = await setup();
		for (const i of range(COUNT)) await writer.get('counter').set(i);
		await waitFor(() => remote.last() === COUNT - 1 && own.last() === COUNT - 1, 'the last value');
		expect(remote.values).toEqual([null, ...range(COUNT)]);
		expect(own.values).toEqual([null, ...range(COUNT)]);
	});

	test('every value of sets not awaited, one per loop turn, reaches subscribers in order', async () => {
		const { writer, remote, own } = await setup();
		for (const i of range(COUNT)) {
			writer.get('counter').set(i);
			await nextTurn();
		}
		await waitFor(() => remote.last() === COUNT - 1 && own.last() === COUNT - 1, 'the last value');
		expect(remote.values).toEqual([null, ...range(COUNT)]);
		expect(own.values).toEqual([null, ...range(COUNT)]);
	});

	test('every value of sets made in the same tick reaches subscribers in order (nothing is merged away)', async () => {
		const { writer, remote, own } = await setup();
		const writes = range(COUNT).map((i) => writer.get('counter').set(i));
		await Promise.all(writes);
		await waitFor(() => remote.last() === COUNT - 1 && own.last() === COUNT - 1, 'the last value');
		expect(remote.values).toEqual([null, ...range(COUNT)]);
		// The writer's own subscriber saw its writes at once, those of one tick together, and
		// nothing of them again when the server sent them back.
		expect(own.values).toEqual([null, COUNT - 1]);
	});

	test('every value also reaches a subscriber of an ancestor path', async () => {
		const { url } = await startServer({ updateInterval: 0 });
		const writer = connectClient(url);
		const reader = connectClient(url);
		const parent = record<{ counter: number }>(reader.get('stats'));
		await waitFor(() => parent.values.length === 1, 'the initial value');
		for (const i of range(COUNT)) {
			writer.get('stats/counter').set(i);
			await nextTurn();
		}
		await waitFor(() => parent.last()?.counter === COUNT - 1, 'the last value');
		expect(parent.values.map((value) => value?.counter ?? null)).toEqual([null, ...range(COUNT)]);
	});
});

describe('updateInterval: 50', () => {
	const INTERVAL = 50;
	const MARGIN = 40;

	test('a write reaches subscribers within one interval', async () => {
		const { url } = await startServer({ updateInterval: INTERVAL });
		const writer = connectClient(url);
		const reader = connectClient(url);
		const arrivals = new Map<number, number>();
		reader.get('latency').on((value) => {
			if (typeof value === 'number') arrivals.set(value, performance.now());
		});
		await writer.get('warmup').set(true);
		await sleep(INTERVAL);
		const latencies: number[] = [];
		for (const i of range(7)) {
			// Start at different points relative to any running timer.
			await sleep((i * 17) % INTERVAL);
			const start = performance.now();
			writer.get('latency').set(i);
			await waitFor(() => arrivals.has(i), `value ${i}`);
			latencies.push(arrivals.get(i)! - start);
		}
		expect(median(latencies)).toBeLessThan(INTERVAL + MARGIN);
	});

	test('many quick writes to the same path reach other subscribers merged, ending at the last value; the writer sees each at once', async () => {
		const { url } = await startServer({ updateInterval: INTERVAL });
		const writer = connectClient(url);
		const reader = connectClient(url);
		const seen = record<number>(reader.get('counter'));
		const own = record<number>(writer.get('counter'));
		await waitFor(() => seen.values.length === 1 && own.values.length === 1, 'the initial values');
		const writes = 100;
		const startedAt = performance.now();
		// Spread over several intervals, so several batches go out.
		for (const i of range(writes)) {
			await writer.get('counter').set(i);
			if (i % 10 === 9) await sleep(20);
		}
		const took = performance.now() - startedAt;
		await waitFor(() => seen.last() === writes - 1 && own.last() === writes - 1, 'the last value');
		// The writer's own subscriber saw each write at once (one per tick here), never going back.
		expect(own.values).toEqual([null, ...range(writes)]);
		const values = seen.values.slice(1) as number[];
		// One value per interval at most (plus one for a flush that was already pending).
		expect(values.length).toBeLessThanOrEqual(Math.ceil(took / INTERVAL) + 2);
		expect(values.length).toBeLessThan(writes / 4);
		expect(values.length).toBeGreaterThan(1);
		// In order, and always ending at the last value.
		expect(values).toEqual([...values].sort((a, b) => a - b));
		expect(new Set(values).size).toBe(values.length);
		expect(values[values.length - 1]).toBe(writes - 1);
	});

	test('a burst of writes in one tick reaches subscribers as its final state', async () => {
		const { url } = await startServer({ updateInterval: INTERVAL });
		const writer = connectClient(url);
		const reader = connectClient(url);
		const seen = record<Record<string, number>>(reader.get('burst'));
		await waitFor(() => seen.values.length === 1, 'the initial value');
		const writes = range(100).map((i) => writer.get('burst').set({ count: i, [`k${i % 5}`]: i }));
		await Promise.all(writes);
		const expected = { count: 99, k0: 95, k1: 96, k2: 97, k3: 98, k4: 99 };
		await waitFor(() => same(seen.last(), expected), 'the final state');
		expect(seen.values.length - 1).toBeLessThanOrEqual(2);
	});

	test('batched deliveries never mix up order: every subscriber ends at the server\'s state', async () => {
		const { url, server } = await startServer({ updateInterval: INTERVAL });
		const writers = [connectClient(url), connectClient(url)];
		const reader = connectClient(url);
		const paths = ['tree', 'tree/a', 'tree/a/b', 'tree/c'];
		const readers = paths.map((path) => ({ path, seen: record(reader.get(path)) }));
		const own = writers.map((db) => record(db.get('tree')));
		const counter = record<number>(reader.get('tree/n'));
		await waitFor(() => [...readers.map((r) => r.seen), ...own].every((recorded) => recorded.values.length === 1), 'the initial values');

		const next = random(20240229);
		const keys = ['a', 'a/b', 'a/b/x', 'a/y', 'c', 'c/z', 'c/w/v'];
		const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;
		const value = (): unknown => {
			const kind = next();
			if (kind < 0.3) return Math.floor(next() * 100);
			if (kind < 0.4) return [Math.floor(next() * 10), 'x'];
			if (kind < 0.7) return { x: Math.floor(next() * 10), y: 'y' };
			return { b: { x: Math.floor(next() * 10) }, w: { v: 1 } };
		};
		const pending: PromiseLike<void>[] = [];
		for (let step = 0; step < 150; step++) {
			const db = pick(writers);
			const kind = next();
			// A monotonic counter, written by one client, shows whether order holds.
			if (kind < 0.25) pending.push(writers[0]!.get('tree/n').set(step));
			else if (kind < 0.4) pending.push(db.get(`tree/${pick(keys)}`).delete());
			else pending.push(db.get(`tree/${pick(keys)}`).set(value() as never));
			if (next() < 0.3) await sleep(Math.floor(next() * 8));
		}
		await Promise.all(pending);

		for (const { path, seen } of readers) {
			await waitFor(() => same(seen.last(), unwrap(server.get(path))), `the server's state at ${path}`);
		}
		for (const recorded of own) await waitFor(() => same(recorded.last(), unwrap(server.get('tree'))), "the server's state at a writer");
		// Values of the counter only ever go up.
		const counts = counter.values.filter((n): n is number => typeof n === 'number');
		expect(counts).toEqual([...counts].sort((a, b) => a - b));
		expect(counts[counts.length - 1]).toBe(server.get('tree/n').value);
	});
});
