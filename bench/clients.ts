// The client side of every workload, in its own process: connections are opened in `setup`,
// the measured part runs in `go`, and `teardown` closes everything.
import { performance } from 'node:perf_hooks';
import { setupLeaderboard, type LeaderboardParams } from './leaderboard';
import { connect, connectMany, type Connection, type System } from './lib/drivers';
import { serveRequests } from './lib/ipc';
import { nextTurn, percentile, sleep } from './lib/stats';

/** `urls`: the nodes of a database of several processes (W10); `url` is the first. */
type Setup = { workload: string; system: System; url: string; urls?: string[]; params: Record<string, number> };
type Workload = {
	go(): Promise<Record<string, number>>;
	connections: Connection[];
	/** Ends a workload that runs until told (and marks in it, for those that take them). */
	stop?(): void;
	mark?(name: string): void;
};

let current: Workload | undefined;

serveRequests({
	setup: async (payload) => {
		const { workload, system, url, urls, params } = payload as Setup;
		const setups: Record<string, typeof scaleOut> = { fanout, latency, manyPaths, idle, acknowledged, acknowledgementLatency, acknowledgementsUntilStopped, readOnce, scaleOut, leaderboard };
		current = await setups[workload]!(system, url, params, urls ?? [url]);
		return true;
	},
	go: async () => {
		const before = process.cpuUsage();
		const result = await current!.go();
		const cpu = process.cpuUsage(before);
		return { ...result, clientCpuMicros: cpu.user + cpu.system };
	},
	stop: () => {
		current?.stop?.();
		return true;
	},
	mark: (name) => {
		current?.mark?.(name as string);
		return true;
	},
	exit: () => {
		setImmediate(() => process.exit(0));
		return true;
	},
	teardown: () => {
		for (const connection of current?.connections ?? []) connection.close();
		current = undefined;
		return true;
	},
});
process.send!({ ready: true });

/** Resolves when `done()` holds, or after `timeoutMs` (then `complete` is false). */
async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
	const start = performance.now();
	while (!done()) {
		if (performance.now() - start > timeoutMs) return false;
		await sleep(2);
	}
	return true;
}

/** W1: S subscribers on one path, one writer doing K sets, one per event-loop turn. */
async function fanout(system: System, url: string, { subscribers, writes }: Record<string, number>): Promise<Workload> {
	const connections = await connectMany(system, url, subscribers! + 1);
	const writer = connections[subscribers!]!;
	const last = writes! - 1;
	const seen = Array.from({ length: subscribers! }, () => ({ counter: -1, delivered: 0, doneAt: 0 }));
	await Promise.all(
		seen.map((state, index) =>
			connections[index]!.subscribe('room/state', (value) => {
				const counter = (value as { counter: number } | null)?.counter ?? -1;
				if (counter <= state.counter) return;
				state.counter = counter;
				state.delivered++;
				if (counter === last) state.doneAt = performance.now();
			}),
		),
	);
	const filler = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3);
	return {
		connections,
		async go() {
			const start = performance.now();
			let lastWrittenAt = start;
			for (let i = 0; i < writes!; i++) {
				writer.set('room/state', { counter: i, payload: `${i}:${filler}`.slice(0, 100) });
				await nextTurn();
				lastWrittenAt = performance.now();
			}
			const complete = await until(() => seen.every((state) => state.doneAt > 0), 120_000);
			const end = complete ? Math.max(...seen.map((state) => state.doneAt)) : performance.now();
			if (process.env['BENCH_DEBUG'] === '1') {
				const done = seen.map((state) => state.doneAt - start).sort((a, b) => a - b);
				console.error(system, `writes ${(lastWrittenAt - start).toFixed(1)} ms; last value first seen ${done[0]!.toFixed(1)}, median ${done[done.length >> 1]!.toFixed(1)}, all ${done[done.length - 1]!.toFixed(1)}`);
			}
			const delivered = seen.reduce((sum, state) => sum + state.delivered, 0);
			return {
				writerLoopMs: lastWrittenAt - start,
				timeToLastMs: end - start,
				lastValueLagMs: end - lastWrittenAt,
				delivered,
				updatesPerSecond: delivered / ((end - start) / 1000),
				deliveredPercent: (100 * delivered) / (writes! * subscribers!),
				complete: complete ? 1 : 0,
			};
		},
	};
}

/** W2: a writer sets every `periodMs` for `durationMs`; subscribers measure each value's latency. */
async function latency(system: System, url: string, { subscribers, periodMs, durationMs }: Record<string, number>): Promise<Workload> {
	const connections = await connectMany(system, url, subscribers! + 1);
	const writer = connections[subscribers!]!;
	const latencies: number[] = [];
	const bySeq: number[][] = [];
	await Promise.all(
		connections.slice(0, subscribers).map((connection) =>
			connection.subscribe('clock', (value) => {
				const { sent, seq } = (value as { sent?: number; seq?: number } | null) ?? {};
				if (sent === undefined) return;
				latencies.push(performance.now() - sent);
				(bySeq[seq!] ??= []).push(performance.now() - sent);
			}),
		),
	);
	return {
		connections,
		async go() {
			let written = 0;
			const end = performance.now() + durationMs!;
			while (performance.now() < end) {
				writer.set('clock', { seq: written++, sent: performance.now() });
				await sleep(periodMs!);
			}
			await sleep(500);
			if (process.env['BENCH_DEBUG'] === '1') {
				const worst = bySeq.map((values, seq) => ({ seq, max: Math.max(...values) })).sort((a, b) => b.max - a.max).slice(0, 15);
				console.error(system, JSON.stringify(worst.map((w) => `${w.seq}:${w.max.toFixed(1)}`)));
			}
			return {
				p50: percentile(latencies, 50),
				p95: percentile(latencies, 95),
				p99: percentile(latencies, 99),
				max: percentile(latencies, 100),
				deliveredPercent: (100 * latencies.length) / (written * subscribers!),
				written,
			};
		},
	};
}

/** W3: each connection watches its own users; a writer updates random users for `durationMs`. */
async function manyPaths(system: System, url: string, { connections: count, pathsPerConnection, durationMs }: Record<string, number>): Promise<Workload> {
	const connections = await connectMany(system, url, count! + 1);
	const writer = connections[count!]!;
	const users = count! * pathsPerConnection!;
	const latencies: number[] = [];
	let delivered = 0;
	let lastDeliveryAt = 0;
	/** The last value written to each user, and the last each subscriber saw (an interval delivers only the latest). */
	const lastWritten = new Map<number, number>();
	const lastSeen = new Map<number, number>();
	const onValue = (value: unknown) => {
		const { sent, n, user } = (value as { sent?: number; n: number; user: number } | null) ?? {};
		if (sent === undefined) return;
		lastDeliveryAt = performance.now();
		latencies.push(lastDeliveryAt - sent);
		lastSeen.set(user!, n!);
		delivered++;
	};
	for (let c = 0; c < count!; c++) {
		await Promise.all(Array.from({ length: pathsPerConnection! }, (_, j) => connections[c]!.subscribe(`users/${c * pathsPerConnection! + j}`, onValue)));
	}
	return {
		connections,
		async go() {
			let written = 0;
			let seed = 12345;
			const start = performance.now();
			const end = start + durationMs!;
			while (performance.now() < end) {
				seed = (seed * 1103515245 + 12345) & 0x7fffffff;
				const user = seed % users;
				lastWritten.set(user, written);
				writer.set(`users/${user}`, { n: written++, user, sent: performance.now() });
				await nextTurn();
			}
			const stoppedAt = performance.now();
			// Done when every subscriber saw the last value of its user (with updateInterval 0, that is every value).
			const complete = await until(() => [...lastWritten].every(([user, n]) => lastSeen.get(user) === n), 60_000);
			if (process.env['BENCH_DEBUG'] === '1') {
				const sorted = [...latencies].sort((a, b) => a - b);
				const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
				console.error(system, `written ${written}, delivered ${delivered}, p50 ${at(0.5)} p90 ${at(0.9)} p95 ${at(0.95)} p99 ${at(0.99)} max ${at(1)}`);
				const buckets = 10;
				const per = Math.ceil(latencies.length / buckets);
				const trend = Array.from({ length: buckets }, (_, b) => latencies.slice(b * per, (b + 1) * per).reduce((max, value) => Math.max(max, value), 0).toFixed(0));
				console.error(system, `max latency per tenth of the run: ${trend.join(' ')}`);
			}
			return {
				written,
				delivered,
				deliveriesPerSecond: delivered / ((lastDeliveryAt - start) / 1000),
				p50: percentile(latencies, 50),
				p99: percentile(latencies, 99),
				drainMs: Math.max(0, lastDeliveryAt - stoppedAt),
				complete: complete ? 1 : 0,
			};
		},
	};
}

/** W4: idle connections, each watching its own path (memory is measured on the server). */
async function idle(system: System, url: string, { clients }: Record<string, number>): Promise<Workload> {
	const connections = await connectMany(system, url, clients!);
	await Promise.all(connections.map((connection, index) => connection.subscribe(`idle/${index}`, () => undefined)));
	return { connections, go: async () => ({}) };
}

/** W7: one socket writing as fast as acknowledgements allow, `window` writes in flight. */
async function acknowledged(system: System, url: string, { writes, window }: Record<string, number>): Promise<Workload> {
	const [connection] = await connectMany(system, url, 1);
	const payload = 'x'.repeat(100);
	return {
		connections: [connection!],
		async go() {
			const start = performance.now();
			let next = 0;
			let acked = 0;
			await new Promise<void>((resolve, reject) => {
				const write = (): void => {
					if (next === writes!) return;
					const i = next++;
					connection!.write(`docs/${i % 10_000}`, { i, payload }).then(() => {
						acked++;
						if (acked === writes) resolve();
						else write();
					}, reject);
				};
				for (let k = 0; k < window!; k++) write();
			});
			const seconds = (performance.now() - start) / 1000;
			return { acknowledgedPerSecond: acked / seconds, acknowledged: acked };
		},
	};
}

/** W8: one socket writing at a steady `rate` per second; the time from each write to its acknowledgement. */
async function acknowledgementLatency(system: System, url: string, { rate, durationMs }: Record<string, number>): Promise<Workload> {
	const [connection] = await connectMany(system, url, 1);
	return {
		connections: [connection!],
		async go() {
			const latencies: number[] = [];
			const pending: Promise<void>[] = [];
			const start = performance.now();
			const total = Math.round((rate! * durationMs!) / 1000);
			for (let i = 0; i < total; i++) {
				const due = start + (i * 1000) / rate!;
				const wait = due - performance.now();
				if (wait > 1) await sleep(wait);
				else if (i % 16 === 0) await nextTurn();
				const sentAt = performance.now();
				pending.push(connection!.write(`steady/${i % 1000}`, { i, sentAt }).then(() => void latencies.push(performance.now() - sentAt)));
			}
			await Promise.all(pending);
			return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: percentile(latencies, 100), acknowledged: latencies.length };
		},
	};
}

/**
 * W12 writer: one socket writing at a steady `rate` per second until stopped; the time from each
 * write to its acknowledgement, for the writes sent between the marks `from` and `to` (all
 * writes when there are no marks). `go` may run again after a stop.
 */
async function acknowledgementsUntilStopped(system: System, url: string, { rate }: Record<string, number>): Promise<Workload> {
	const [connection] = await connectMany(system, url, 1);
	let stopped = false;
	const marks = new Map<string, number>();
	let sent = 0;
	return {
		connections: [connection!],
		stop: () => void (stopped = true),
		mark: (name) => void marks.set(name, sent),
		async go() {
			stopped = false;
			marks.clear();
			const latencies: number[] = [];
			const pending: Promise<void>[] = [];
			const start = performance.now();
			for (let i = 0; !stopped; i++) {
				const wait = start + (i * 1000) / rate! - performance.now();
				if (wait > 1) await sleep(wait);
				else await nextTurn();
				const sentAt = performance.now();
				sent = i + 1;
				pending.push(connection!.write(`steady/${i % 1000}`, { i, sentAt }).then(() => void (latencies[i] = performance.now() - sentAt)));
			}
			await Promise.all(pending);
			const measured = latencies.slice(marks.get('from') ?? 0, marks.get('to') ?? latencies.length);
			if (process.env['BENCH_DEBUG'] === '1') {
				const per = Math.max(1, Math.round(rate! / 4));
				const trend = Array.from({ length: Math.ceil(measured.length / per) }, (_, b) => Math.max(...measured.slice(b * per, (b + 1) * per)).toFixed(0));
				console.error(`writer: max acknowledgement per quarter second: ${trend.join(' ')}`);
			}
			return { p50: percentile(measured, 50), p99: percentile(measured, 99), max: percentile(measured, 100), acknowledged: measured.length };
		},
	};
}

/** W12 reader: `db.get(path).once(...)`; the time until the value arrived, and how many nodes it holds. */
async function readOnce(system: System, url: string): Promise<Workload> {
	const [connection] = await connectMany(system, url, 1);
	return {
		connections: [connection!],
		async go() {
			const start = performance.now();
			const value = await connection!.once('');
			const readMs = performance.now() - start;
			return { readMs, nodes: countNodes(value) };
		},
	};
}

function countNodes(value: unknown): number {
	if (value === null || typeof value !== 'object' || Array.isArray(value)) return 1;
	let nodes = 1;
	for (const child of Object.values(value)) nodes += countNodes(child);
	return nodes;
}

/**
 * W10: `subscribers` connections spread evenly over the nodes at `urls` (processes of one
 * database) watch one path; a writer on the first node sets it `rate` times a second and observes
 * each write's acknowledgement. A delivery's latency counts as same-node (a subscriber of the
 * writer's node) or cross-node. Setup first writes for `warmupMs` the same way, so that every
 * process has optimized its code before the measured part; only the writes of `go` are measured.
 */
async function scaleOut(system: System, url: string, { subscribers, rate, warmupMs, durationMs }: Record<string, number>, urls: string[]): Promise<Workload> {
	const path = 'w10/clock';
	const writer = await connect(system, url);
	const groups: Connection[][] = [];
	for (let node = 0; node < urls.length; node++) {
		const count = Math.floor(subscribers! / urls.length) + (node < subscribers! % urls.length ? 1 : 0);
		groups.push(await connectMany(system, urls[node]!, count));
	}
	const sameNode: number[] = [];
	const crossNode: number[] = [];
	const seen: number[] = [];
	let measuredFrom = Number.POSITIVE_INFINITY;
	let delivered = 0;
	let lastDeliveryAt = 0;
	await Promise.all(
		groups.flatMap((group, node) =>
			group.map((connection) => {
				const index = seen.push(-1) - 1;
				const latencies = node === 0 ? sameNode : crossNode;
				return connection.subscribe(path, (value) => {
					const { seq, sent } = (value as { seq?: number; sent?: number } | null) ?? {};
					if (seq === undefined || sent === undefined) return;
					seen[index] = seq;
					if (seq < measuredFrom) return;
					lastDeliveryAt = performance.now();
					latencies.push(lastDeliveryAt - sent);
					delivered++;
				});
			}),
		),
	);
	const filler = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3);
	const acknowledgements: number[] = [];
	let next = 0;
	/** Writes at `rate` for `ms`; resolves once every write was acknowledged and every subscriber saw the last. */
	const writeFor = async (ms: number, measured: boolean): Promise<boolean> => {
		const pending: Promise<void>[] = [];
		const total = Math.round((rate! * ms) / 1000);
		const start = performance.now();
		for (let i = 0; i < total; i++) {
			const wait = start + (i * 1000) / rate! - performance.now();
			if (wait > 1) await sleep(wait);
			else await nextTurn();
			const seq = next++;
			const sent = performance.now();
			pending.push(
				writer.write(path, { seq, sent, payload: `${seq}:${filler}`.slice(0, 100) }).then(() => {
					if (measured) acknowledgements.push(performance.now() - sent);
				}),
			);
		}
		await Promise.all(pending);
		const last = next - 1;
		return until(() => seen.every((seq) => seq === last), 30_000);
	};
	if (!(await writeFor(warmupMs!, false))) throw new Error('the warm-up writes did not reach every subscriber');
	return {
		connections: [writer, ...groups.flat()],
		async go() {
			measuredFrom = next;
			const start = performance.now();
			const complete = await writeFor(durationMs!, true);
			const written = next - measuredFrom;
			const all = [...sameNode, ...crossNode];
			return {
				written,
				delivered,
				deliveredPercent: (100 * delivered) / (written * subscribers!),
				deliveriesPerSecond: delivered / ((lastDeliveryAt - start) / 1000),
				sameP50: percentile(sameNode, 50),
				sameP99: percentile(sameNode, 99),
				crossP50: percentile(crossNode, 50),
				crossP99: percentile(crossNode, 99),
				p50: percentile(all, 50),
				p99: percentile(all, 99),
				max: percentile(all, 100),
				acknowledgementP50: percentile(acknowledgements, 50),
				acknowledgementP99: percentile(acknowledgements, 99),
				complete: complete ? 1 : 0,
			};
		},
	};
}

/**
 * W11: the leaderboard of bench/leaderboard.ts; "project" watches the top ten with a query, the
 * "baseline" the whole collection (both on the project's server).
 */
async function leaderboard(system: System, url: string, params: Record<string, number>): Promise<Workload> {
	const run = await setupLeaderboard(url, system === 'project' ? 'query' : 'collection', params as LeaderboardParams);
	const closing: Connection = {
		subscribe: () => Promise.reject(new Error('not used')),
		set: () => undefined,
		write: () => Promise.reject(new Error('not used')),
		once: () => Promise.reject(new Error('not used')),
		close: () => void run.close(),
	};
	return { connections: [closing], go: () => run.go() };
}
