// `npm run bench`: every workload against this project and the raw-ws baseline, alternating,
// 3 repetitions, server and clients in separate processes on 127.0.0.1. Prints medians with
// min–max and the project/baseline ratio of each repetition, and writes bench/results/latest.json.
// BENCH_ONLY=W1,W3 runs some workloads, BENCH_SCENARIO=text only scenarios whose name contains
// it; BENCH_QUICK=1 shrinks every workload for a smoke run.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { measureDeltaResume } from './delta-resume';
import type { System } from './lib/drivers';
import { exited, listeningUrl, start } from './lib/processes';
import { startRedis } from './lib/redis-server';
import type { MemorySample, ServerSample } from './lib/server-metrics';
import { percentile, sleep, summary } from './lib/stats';
import { scaleOutRun, type Layout, type ScaleOutParams } from './scale-out';

const quick = process.env['BENCH_QUICK'] === '1';
const only = process.env['BENCH_ONLY']?.split(',');
const REPETITIONS = Number(process.env['BENCH_REPETITIONS'] ?? (quick ? 1 : 3));
/** Every run (one system, one repetition) is killed after this long. */
const RUN_LIMIT_MS = 240_000;
const q = (full: number, small: number) => (quick ? small : full);

type Measured = Record<string, number>;
type Metric = { name: string; unit: string; better: 'lower' | 'higher'; value: (client: Measured, server: { cpuMicros: number; bytesWritten: number; heapUsed: number; rss: number }) => number };
/**
 * `compare: 'stores'` runs the project against itself: on the durable LMDB store (reported as
 * "project") and on the in-memory store (as "baseline"), to show what durability costs.
 */
/**
 * `compare: 'subscriptions'` runs the project's server in memory for both; the client workload
 * takes "project" and "baseline" as two ways of subscribing (W11: a query, the whole collection).
 */
type Scenario = { workload: string; name: string; clientWorkload: string; updateInterval: number; params: Record<string, number>; metrics: Metric[]; memory?: boolean; compare?: 'stores' | 'subscriptions' };

const fanoutMetrics: Metric[] = [
	{ name: "the writer's loop: its sets and turns", unit: 'ms', better: 'lower', value: (c) => c['writerLoopMs']! },
	{ name: 'time until every subscriber saw the last value', unit: 'ms', better: 'lower', value: (c) => c['timeToLastMs']! },
	{ name: 'last value seen by all, after it was written', unit: 'ms', better: 'lower', value: (c) => c['lastValueLagMs']! },
	{ name: 'distinct updates delivered per second', unit: '/s', better: 'higher', value: (c) => c['updatesPerSecond']! },
	{ name: 'server CPU per delivered update', unit: 'µs', better: 'lower', value: (c, s) => s.cpuMicros / c['delivered']! },
	{ name: 'server bytes per delivered update (W5)', unit: 'B', better: 'lower', value: (c, s) => s.bytesWritten / c['delivered']! },
	{ name: 'client-process CPU per delivered update', unit: 'µs', better: 'lower', value: (c) => c['clientCpuMicros']! / c['delivered']! },
	{ name: 'every value delivered', unit: '%', better: 'higher', value: (c) => c['deliveredPercent']! },
];
const latencyMetrics: Metric[] = ['p50', 'p95', 'p99', 'max'].map((name) => ({ name: `latency ${name}`, unit: 'ms', better: 'lower' as const, value: (c: Measured) => c[name]! }));
latencyMetrics.push({ name: 'values delivered', unit: '%', better: 'higher', value: (c) => c['deliveredPercent']! });
const manyPathMetrics: Metric[] = [
	{ name: 'deliveries per second', unit: '/s', better: 'higher', value: (c) => c['deliveriesPerSecond']! },
	{ name: 'server CPU per delivery', unit: 'µs', better: 'lower', value: (c, s) => s.cpuMicros / c['delivered']! },
	{ name: 'server CPU per write', unit: 'µs', better: 'lower', value: (c, s) => s.cpuMicros / c['written']! },
	{ name: 'latency p99', unit: 'ms', better: 'lower', value: (c) => c['p99']! },
	{ name: 'time to drain', unit: 'ms', better: 'lower', value: (c) => c['drainMs']! },
	{ name: 'client-process CPU per delivery', unit: 'µs', better: 'lower', value: (c) => c['clientCpuMicros']! / c['delivered']! },
];
const memoryMetrics: Metric[] = [
	{ name: 'server heap per idle client', unit: 'KB', better: 'lower', value: (_c, s) => s.heapUsed / 1024 },
	{ name: 'server RSS per idle client', unit: 'KB', better: 'lower', value: (_c, s) => s.rss / 1024 },
];

const durableScenarios: Scenario[] = [
	{
		workload: 'W7',
		name: 'acknowledged writes over one socket, pipelined (project on LMDB, baseline the project in memory)',
		clientWorkload: 'acknowledged',
		updateInterval: 50,
		params: { writes: q(200_000, 20_000), window: 2000 },
		metrics: [
			{ name: 'acknowledged writes per second', unit: '/s', better: 'higher', value: (c) => c['acknowledgedPerSecond']! },
			{ name: 'server CPU per acknowledged write', unit: 'µs', better: 'lower', value: (c, s) => s.cpuMicros / c['acknowledged']! },
		],
		compare: 'stores',
	},
	{
		workload: 'W8',
		name: 'acknowledgement latency at 1000 writes/s (project on LMDB, baseline the project in memory)',
		clientWorkload: 'acknowledgementLatency',
		updateInterval: 50,
		params: { rate: 1000, durationMs: q(10_000, 2_000) },
		metrics: ['p50', 'p99', 'max'].map((name) => ({ name: `acknowledgement ${name}`, unit: 'ms', better: 'lower' as const, value: (c: Measured) => c[name]! })),
		compare: 'stores',
	},
];

const leaderboardChildren = q(100_000, 10_000);
const leaderboardScenario: Scenario = {
	workload: 'W11',
	name: `leaderboard: ${q(100, 20)} clients on orderByChild('score').limitToLast(10) of ${leaderboardChildren.toLocaleString('en')} children, 100 score changes/s (baseline: ${q(10, 5)} clients on the whole collection)`,
	clientWorkload: 'leaderboard',
	updateInterval: 50,
	params: { children: leaderboardChildren, subscribers: q(100, 20), collectionSubscribers: q(10, 5), rate: 100, durationMs: q(5_000, 2_000) },
	metrics: [
		{ name: 'bytes sent to a client at subscribe', unit: 'B', better: 'lower', value: (c) => c['subscribeBytes']! },
		{ name: 'time until every client held its first result', unit: 'ms', better: 'lower', value: (c) => c['subscribeMs']! },
		{ name: 'bytes sent per write and client', unit: 'B', better: 'lower', value: (c) => c['bytesPerWriteAndClient']! },
		{ name: 'server CPU per write', unit: 'µs', better: 'lower', value: (c, s) => s.cpuMicros / c['written']! },
		{ name: 'clients whose window did not change that were sent nothing', unit: '%', better: 'higher', value: (c) => c['unchangedSentNothingPercent'] ?? Number.NaN },
		{ name: 'writes that changed the top ten', unit: '', better: 'lower', value: (c) => c['windowChanges']! },
	],
	compare: 'subscriptions',
};

const scenarios: Scenario[] = [
	...[100, 1000].flatMap((subscribers) =>
		[0, 50].map((updateInterval) => ({
			workload: 'W1',
			name: `fan-out S=${subscribers}, updateInterval ${updateInterval}`,
			clientWorkload: 'fanout',
			updateInterval,
			params: { subscribers: q(subscribers, subscribers / 10), writes: q(2000, 300) },
			metrics: fanoutMetrics,
		})),
	),
	...[0, 50].map((updateInterval) => ({
		workload: 'W2',
		name: `latency, updateInterval ${updateInterval}`,
		clientWorkload: 'latency',
		updateInterval,
		params: { subscribers: 10, periodMs: 20, durationMs: q(10_000, 2_000) },
		metrics: latencyMetrics,
	})),
	...[1, 50].map((pathsPerConnection) => ({
		workload: 'W3',
		name: `many paths: ${200 * pathsPerConnection} subscriptions on 200 connections`,
		clientWorkload: 'manyPaths',
		updateInterval: 0,
		params: { connections: q(200, 50), pathsPerConnection, durationMs: q(10_000, 2_000) },
		metrics: manyPathMetrics,
	})),
	{
		workload: 'W3',
		name: 'many paths: 200 subscriptions on 200 connections, default updateInterval (50)',
		clientWorkload: 'manyPaths',
		updateInterval: 50,
		params: { connections: q(200, 50), pathsPerConnection: 1, durationMs: q(10_000, 2_000) },
		metrics: [...manyPathMetrics, { name: 'latency p50', unit: 'ms', better: 'lower' as const, value: (c: Measured) => c['p50']! }],
	},
	{ workload: 'W4', name: `memory: ${q(1000, 100)} idle clients, each watching its own path`, clientWorkload: 'idle', updateInterval: 50, params: { clients: q(1000, 100) }, metrics: memoryMetrics, memory: true },
	...durableScenarios,
	leaderboardScenario,
]
	.filter((scenario) => only === undefined || only.includes(scenario.workload))
	.filter((scenario) => process.env['BENCH_SCENARIO'] === undefined || scenario.name.includes(process.env['BENCH_SCENARIO']));

const difference = (after: ServerSample, before: ServerSample) => ({
	cpuMicros: after.cpuMicros - before.cpuMicros,
	bytesWritten: after.bytesWritten - before.bytesWritten,
	heapUsed: after.heapUsed - before.heapUsed,
	rss: after.rss - before.rss,
});

async function runOnce(scenario: Scenario, system: System): Promise<Record<string, number>> {
	const stores = scenario.compare === 'stores';
	const dataDirectory = stores && system === 'project' ? mkdtempSync(join(tmpdir(), 'socketdb-bench-')) : undefined;
	const server = await start(`bench/servers/${scenario.compare === undefined ? system : 'project'}.ts`, { UPDATE_INTERVAL: String(scenario.updateInterval), ...(dataDirectory === undefined ? {} : { DATA_DIR: dataDirectory }) });
	const clients = await start('bench/clients.ts', {});
	const clientSystem: System = stores ? 'project' : system;
	const limit = setTimeout(() => {
		console.error(`  run exceeded ${RUN_LIMIT_MS} ms; killed`);
		server.child.kill('SIGKILL');
		clients.child.kill('SIGKILL');
	}, RUN_LIMIT_MS);
	try {
		const url = await server.request<string>('address');
		const memoryBefore = scenario.memory ? await server.request<ServerSample>('settledSample') : undefined;
		await clients.request('setup', { workload: scenario.clientWorkload, system: clientSystem, url, params: scenario.params }, RUN_LIMIT_MS);
		const before = memoryBefore ?? (await server.request<ServerSample>('sample'));
		const client = await clients.request<Measured>('go', undefined, RUN_LIMIT_MS);
		const after = await server.request<ServerSample>(scenario.memory ? 'settledSample' : 'sample');
		const delta = difference(after, before);
		const perClient = scenario.memory ? { ...delta, heapUsed: delta.heapUsed / scenario.params['clients']!, rss: delta.rss / scenario.params['clients']! } : delta;
		const values: Record<string, number> = {};
		for (const metric of scenario.metrics) values[metric.name] = metric.value(client, perClient);
		await clients.request('teardown');
		return values;
	} finally {
		clearTimeout(limit);
		await server.request('stop', undefined, 10_000).catch(() => undefined);
		await clients.request('exit', undefined, 10_000).catch(() => undefined);
		await Promise.all([exited(server.child), exited(clients.child)]);
		if (dataDirectory !== undefined) rmSync(dataDirectory, { recursive: true, force: true });
	}
}

const format = (value: number) => (Number.isNaN(value) ? 'n/a' : Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2));

type ScenarioResult = {
	workload: string;
	name: string;
	params: Record<string, number>;
	updateInterval: number;
	metrics: Record<string, { unit: string; better: string; project: number[]; baseline: number[]; ratios: number[]; projectSummary: ReturnType<typeof summary>; baselineSummary: ReturnType<typeof summary>; ratioMedian: number }>;
};

/** Summarises one metric of both systems into `result` and prints it. */
function record(result: ScenarioResult, metric: Metric, runs: Record<System, Record<string, number>[]>, key: string): void {
	const project = runs.project.map((run) => run[key]!);
	const baseline = runs.baseline.map((run) => run[key]!);
	const ratios = project.map((value, index) => value / baseline[index]!);
	const entry = { unit: metric.unit, better: metric.better, project, baseline, ratios, projectSummary: summary(project), baselineSummary: summary(baseline), ratioMedian: summary(ratios).median };
	result.metrics[metric.name] = entry;
	const range = (s: ReturnType<typeof summary>) => `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
	console.log(`  ${metric.name} [${metric.unit}, ${metric.better} is better]: project ${range(entry.projectSummary)}, baseline ${range(entry.baselineSummary)}, ratio ${format(entry.ratioMedian)} [${ratios.map(format).join(', ')}]`);
}

const results: ScenarioResult[] = [];
const startedAt = Date.now();
for (const scenario of scenarios) {
	console.log(`\n${scenario.workload} ${scenario.name}`);
	const runs: Record<System, Record<string, number>[]> = { project: [], baseline: [] };
	for (let rep = 0; rep < REPETITIONS; rep++) {
		const order: System[] = rep % 2 === 0 ? ['project', 'baseline'] : ['baseline', 'project'];
		for (const system of order) {
			try {
				runs[system][rep] = await runOnce(scenario, system);
			} catch (error) {
				console.error(`  ${system} repetition ${rep + 1} failed: ${(error as Error).message.split('\n')[0]}`);
				runs[system][rep] = Object.fromEntries(scenario.metrics.map((metric) => [metric.name, Number.NaN]));
			}
		}
	}
	const result: ScenarioResult = { workload: scenario.workload, name: scenario.name, params: scenario.params, updateInterval: scenario.updateInterval, metrics: {} };
	for (const metric of scenario.metrics) record(result, metric, runs, metric.name);
	results.push(result);
}

/**
 * W9: `socketdb serve` starting on a data directory of a million leaves, against an empty
 * directory: the time until it listens, and until a client has read one leaf.
 */
async function startupScenario(): Promise<ScenarioResult> {
	const leaves = q(1_000_000, 100_000);
	const name = `start-up on ${leaves.toLocaleString('en')} leaves (baseline an empty data directory)`;
	console.log(`\nW9 ${name}`);
	const full = mkdtempSync(join(tmpdir(), 'socketdb-bench-'));
	const empty = mkdtempSync(join(tmpdir(), 'socketdb-bench-'));
	try {
		const { createLmdbStore } = await import('@socketdb/store-lmdb');
		const store = createLmdbStore({ path: full });
		const users: Record<string, unknown> = {};
		for (let u = 0; u < leaves / 1000; u++) {
			const fields: Record<string, unknown> = {};
			for (let f = 0; f < 1000; f++) fields[`f${f}`] = { value: u * 1000 + f };
			users[`u${u}`] = { value: fields };
		}
		const filledAt = performance.now();
		await store.replace('users', { value: users } as never);
		await store.close();
		console.log(`  (wrote ${leaves} leaves in ${((performance.now() - filledAt) / 1000).toFixed(1)} s)`);
		const metrics = ['until listening', 'until one leaf was read'];
		const runs: Record<System, Record<string, number>[]> = { project: [], baseline: [] };
		for (let rep = 0; rep < REPETITIONS; rep++) {
			const order: System[] = rep % 2 === 0 ? ['project', 'baseline'] : ['baseline', 'project'];
			for (const system of order) runs[system][rep] = await timeStartup(system === 'project' ? full : empty, 'users/u7/f7', system === 'project' ? 7007 : null);
		}
		const result: ScenarioResult = { workload: 'W9', name, params: { leaves }, updateInterval: 50, metrics: {} };
		for (const metric of metrics) record(result, { name: metric, unit: 'ms', better: 'lower', value: () => 0 }, runs, metric);
		return result;
	} finally {
		rmSync(full, { recursive: true, force: true });
		rmSync(empty, { recursive: true, force: true });
	}
}

async function timeStartup(directory: string, leaf: string, expected: unknown): Promise<Record<string, number>> {
	const { SocketDBClient } = await import('@socketdb/client');
	const startedAt = performance.now();
	const child = spawn(process.execPath, ['cli/bin/socketdb.js', 'serve', '--port', '0', '--data', directory], { stdio: ['ignore', 'pipe', 'inherit'] });
	const limit = setTimeout(() => child.kill('SIGKILL'), 60_000);
	try {
		const url = await listeningUrl(child);
		const listeningAt = performance.now();
		const db = SocketDBClient();
		db.connect(url);
		const value = await new Promise((resolve) => db.get(leaf).once(resolve));
		const readAt = performance.now();
		if (value !== expected) throw new Error(`read ${JSON.stringify(value)} at ${leaf}, expected ${JSON.stringify(expected)}`);
		db.disconnect();
		return { 'until listening': listeningAt - startedAt, 'until one leaf was read': readAt - startedAt };
	} finally {
		clearTimeout(limit);
		child.kill('SIGTERM');
		await exited(child);
	}
}

if (only === undefined || only.includes('W9')) results.push(await startupScenario());

/**
 * W10: one database served by 1, 2 and 4 `socketdb serve --redis` processes on one private
 * redis-server, and by one plain `socketdb serve` without Redis (bench/scale-out.ts runs each).
 * Compared per repetition: one node on Redis against plain serve (what the log's hop costs),
 * 2 and 4 nodes against 1 node, and in the runs of 2 and 4 nodes cross-node latency against
 * same-node latency.
 */
async function scaleOutScenario(): Promise<ScenarioResult[]> {
	const params: ScaleOutParams = { subscribers: q(200, 40), rate: q(100, 100), warmupMs: q(1500, 500), durationMs: q(5000, 1500) };
	const plain: Layout = { name: 'socketdb serve without Redis', nodes: 1, redis: false };
	const clustered = [1, 2, 4].map((nodes): Layout => ({ name: `${nodes} node${nodes === 1 ? '' : 's'} on Redis`, nodes, redis: true }));
	const layouts = [plain, ...clustered];
	const setting = `${params.subscribers} subscribers, ${params.rate} writes/s`;
	console.log(`\nW10 scale-out on Redis: ${params.subscribers} subscribers spread evenly over the nodes, one writer on the first at ${params.rate} acknowledged writes/s`);
	const runs = new Map(layouts.map((layout) => [layout, [] as Measured[]]));
	const redis = await startRedis();
	try {
		for (let rep = 0; rep < REPETITIONS; rep++) {
			for (const layout of rep % 2 === 0 ? layouts : [...layouts].reverse()) {
				try {
					runs.get(layout)![rep] = await scaleOutRun(redis, layout, params, RUN_LIMIT_MS);
				} catch (error) {
					console.error(`  ${layout.name}, repetition ${rep + 1} failed: ${(error as Error).message.split('\n')[0]}`);
					runs.get(layout)![rep] = {};
				}
			}
		}
	} finally {
		await redis.stop();
	}

	const results: ScenarioResult[] = [];
	const begin = (name: string, nodes: number) => {
		const result: ScenarioResult = { workload: 'W10', name, params: { subscribers: params.subscribers, rate: params.rate, nodes }, updateInterval: 0, metrics: {} };
		console.log(`\nW10 ${name}`);
		results.push(result);
		return result;
	};
	/** Records `projectKey` of the project's runs against `baselineKey` of the baseline's, as metric `name`. */
	const compare = (result: ScenarioResult, [name, unit, better]: [string, string, 'lower' | 'higher'], project: [Layout, string], baseline: [Layout, string]) => {
		const pick = ([layout, key]: [Layout, string]) => runs.get(layout)!.map((run) => ({ [name]: run[key] ?? Number.NaN }));
		record(result, { name, unit, better, value: () => 0 }, { project: pick(project), baseline: pick(baseline) }, name);
	};
	const same = (layout: Layout, key: string, metric: [string, string, 'lower' | 'higher'], result: ScenarioResult, baseline: Layout) => compare(result, metric, [layout, key], [baseline, key]);
	const costs: [string, [string, string, 'lower' | 'higher']][] = [
		['serverCpuPerDelivery', ['server CPU per delivery, all node processes', 'µs', 'lower']],
		['serverCpuPerWrite', ['server CPU per write, all node processes', 'µs', 'lower']],
		['deliveriesPerSecond', ['deliveries per second', '/s', 'higher']],
		['p50', ['latency p50, all subscribers', 'ms', 'lower']],
		['p99', ['latency p99, all subscribers', 'ms', 'lower']],
		['acknowledgementP50', ['acknowledgement p50', 'ms', 'lower']],
		['acknowledgementP99', ['acknowledgement p99', 'ms', 'lower']],
		['redisCommandsPerWrite', ['Redis commands per write, all', 'commands', 'lower']],
		['redisCpuPerWrite', ['Redis CPU per write', 'µs', 'lower']],
		['deliveredPercent', ['values delivered', '%', 'higher']],
	];
	const oneNode = clustered[0]!;
	const hop = begin(`${setting}: 1 node on Redis (baseline: socketdb serve without Redis)`, 1);
	for (const [key, metric] of costs) same(oneNode, key, metric, hop, plain);
	for (const layout of clustered.slice(1)) {
		const scaled = begin(`${setting}: ${layout.name} (baseline: 1 node on Redis)`, layout.nodes);
		for (const [key, metric] of costs) same(layout, key, metric, scaled, oneNode);
		const spread = begin(`${setting}: ${layout.name}, cross-node subscribers (baseline: same-node subscribers, same runs)`, layout.nodes);
		compare(spread, ['latency p50', 'ms', 'lower'], [layout, 'crossP50'], [layout, 'sameP50']);
		compare(spread, ['latency p99', 'ms', 'lower'], [layout, 'crossP99'], [layout, 'sameP99']);
	}
	return results;
}

if (only === undefined || only.includes('W10')) results.push(...(await scaleOutScenario()));

/**
 * W12: one client reads the root of a 2,000,000-node tree (`db.get('').once(...)`) from the
 * server on LMDB, as `npm start` runs it, while another writes 200 values per second and awaits
 * each acknowledgement. Baseline: the same writer in the same run, with no reader. Also the
 * server's memory growth during the read, against the bytes it sent (the encoded snapshot).
 */
async function snapshotScenario(): Promise<ScenarioResult> {
	const users = q(20_000, 2_000);
	const fields = 99;
	const nodes = users * (fields + 1);
	const rate = 200;
	const name = `acknowledgements at ${rate} writes/s while another client reads the root of ${nodes.toLocaleString('en')} nodes (baseline: no reader)`;
	console.log(`\nW10 ${name}`);
	const directory = mkdtempSync(join(tmpdir(), 'socketdb-bench-'));
	try {
		const { createLmdbStore } = await import('@socketdb/store-lmdb');
		const store = createLmdbStore({ path: directory });
		const children: Record<string, unknown> = {};
		for (let u = 0; u < users; u++) {
			const leaves: Record<string, unknown> = {};
			for (let f = 0; f < fields; f++) leaves[`f${f}`] = { value: f % 3 === 0 ? `user ${u}, field ${f}` : u * 100 + f };
			children[`u${u}`] = { value: leaves };
		}
		const filledAt = performance.now();
		await store.replace('users', { value: children } as never);
		await store.close();
		console.log(`  (wrote ${nodes.toLocaleString('en')} nodes in ${((performance.now() - filledAt) / 1000).toFixed(1)} s)`);
		const ms = (unit: string): Omit<Metric, 'name'> => ({ unit, better: 'lower', value: () => 0 });
		const metrics: Metric[] = [
			{ name: 'acknowledgement p50', ...ms('ms') },
			{ name: 'acknowledgement p99', ...ms('ms') },
			{ name: 'acknowledgement max', ...ms('ms') },
			{ name: 'time to read the root', ...ms('s') },
			{ name: 'bytes sent during the read (the encoded snapshot)', ...ms('MB') },
			{ name: 'server RSS growth per byte sent', ...ms('×') },
			{ name: 'server RSS growth without file pages (LMDB map) per byte sent', ...ms('×') },
			{ name: 'server heap growth per byte sent', ...ms('×') },
		];
		const runs: Record<System, Record<string, number>[]> = { project: [], baseline: [] };
		for (let rep = 0; rep < REPETITIONS; rep++) {
			const { reading, alone } = await readWhileWriting(directory, rate, nodes);
			runs.project[rep] = reading;
			runs.baseline[rep] = alone;
		}
		const result: ScenarioResult = { workload: 'W12', name, params: { nodes, rate }, updateInterval: 50, metrics: {} };
		for (const metric of metrics) record(result, metric, runs, metric.name);
		return result;
	} finally {
		rmSync(directory, { recursive: true, force: true });
	}
}

/** One repetition of W12: the writer alone, then the writer while the reader reads the root. */
async function readWhileWriting(directory: string, rate: number, nodes: number): Promise<{ reading: Record<string, number>; alone: Record<string, number> }> {
	const server = await start('bench/servers/project.ts', { UPDATE_INTERVAL: '50', DATA_DIR: directory });
	const writer = await start('bench/clients.ts', {});
	const reader = await start('bench/clients.ts', {});
	const children = [server, writer, reader];
	const limit = setTimeout(() => {
		console.error(`  run exceeded ${RUN_LIMIT_MS} ms; killed`);
		for (const child of children) child.child.kill('SIGKILL');
	}, RUN_LIMIT_MS);
	const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
	try {
		const url = await server.request<string>('address');
		await writer.request('setup', { workload: 'acknowledgementsUntilStopped', system: 'project', url, params: { rate } });
		await reader.request('setup', { workload: 'readOnce', system: 'project', url, params: {} });

		const aloneRun = writer.request<Measured>('go', undefined, RUN_LIMIT_MS);
		await pause(q(5_000, 2_000));
		await writer.request('stop');
		const alone = await aloneRun;

		const readingRun = writer.request<Measured>('go', undefined, RUN_LIMIT_MS);
		await pause(1_000);
		await server.request('startPeak');
		const before = await server.request<ServerSample>('sample');
		await writer.request('mark', 'from');
		const read = await reader.request<Measured>('go', undefined, RUN_LIMIT_MS);
		await writer.request('mark', 'to');
		const after = await server.request<ServerSample>('sample');
		const memory = await server.request<{ before: MemorySample; peak: MemorySample }>('stopPeak');
		await writer.request('stop');
		const reading = await readingRun;
		if (read['nodes']! < nodes) throw new Error(`the reader got ${read['nodes']} nodes, expected at least ${nodes}`);
		const sent = after.bytesWritten - before.bytesWritten;
		const growth = (key: keyof MemorySample) => (memory.peak[key] - memory.before[key]) / sent;
		console.log(`  read ${read['nodes']} nodes in ${(read['readMs']! / 1000).toFixed(1)} s; ${(sent / 1e6).toFixed(1)} MB sent; server peak RSS +${((memory.peak.rss - memory.before.rss) / 1e6).toFixed(0)} MB (anonymous +${((memory.peak.rssAnon - memory.before.rssAnon) / 1e6).toFixed(0)} MB), heap +${((memory.peak.heapUsed - memory.before.heapUsed) / 1e6).toFixed(0)} MB`);
		const acknowledgements = (run: Measured) => ({ 'acknowledgement p50': run['p50']!, 'acknowledgement p99': run['p99']!, 'acknowledgement max': run['max']! });
		const none = Number.NaN;
		return {
			reading: {
				...acknowledgements(reading),
				'time to read the root': read['readMs']! / 1000,
				'bytes sent during the read (the encoded snapshot)': sent / 1e6,
				'server RSS growth per byte sent': growth('rss'),
				'server RSS growth without file pages (LMDB map) per byte sent': growth('rssAnon'),
				'server heap growth per byte sent': growth('heapUsed'),
			},
			alone: {
				...acknowledgements(alone),
				'time to read the root': none,
				'bytes sent during the read (the encoded snapshot)': none,
				'server RSS growth per byte sent': none,
				'server RSS growth without file pages (LMDB map) per byte sent': none,
				'server heap growth per byte sent': none,
			},
		};
	} finally {
		clearTimeout(limit);
		await server.request('stop', undefined, 10_000).catch(() => undefined);
		for (const client of [writer, reader]) await client.request('exit', undefined, 10_000).catch(() => undefined);
		await Promise.all(children.map((child) => exited(child.child)));
	}
}

if (only === undefined || only.includes('W12')) results.push(await snapshotScenario());

/**
 * W14: the acknowledgement waits of a client writing 200 acknowledged writes per second to a
 * running `socketdb serve` while `socketdb import` writes 1,200,000 nodes into the same data
 * directory ("project"), against the same writer with no import, for as long as the last import
 * took ("baseline").
 */
async function importBesideServerScenario(): Promise<ScenarioResult> {
	const MAKE_EXPORT = `
		const [file, groups] = process.argv.slice(1);
		const bulk = {};
		for (let g = 0; g < Number(groups); g++) {
			const fields = {};
			for (let f = 0; f < 1000; f++) fields['f' + f] = { value: g * 1000 + f };
			bulk['g' + g] = { value: fields };
		}
		require('node:fs').writeFileSync(file, JSON.stringify({ socketdb: 1, path: 'bulk', node: { value: bulk } }));`;
	const groups = q(1200, 120);
	const leaves = groups * 1000;
	const name = `acknowledged writes at 200/s while a ${(leaves + groups + 1).toLocaleString('en')}-node import runs beside the server (baseline no import)`;
	console.log(`\nW14 ${name}`);
	const folder = mkdtempSync(join(tmpdir(), 'socketdb-bench-'));
	try {
		// Made in a process of its own: a heap of a million objects here would put collector pauses
		// into the writer's measurements.
		const file = join(folder, 'bulk.json');
		const made = spawnSync(process.execPath, ['-e', MAKE_EXPORT, file, String(groups)], { stdio: 'inherit' });
		if (made.status !== 0) throw new Error('could not write the export file');
		const metrics = ['acknowledgement p50', 'acknowledgement p99', 'acknowledgement max'];
		const runs: Record<System, Record<string, number>[]> = { project: [], baseline: [] };
		let importMs = q(10_000, 2_000);
		for (let rep = 0; rep < REPETITIONS; rep++) {
			const order: System[] = rep % 2 === 0 ? ['project', 'baseline'] : ['baseline', 'project'];
			for (const system of order) {
				// Every run starts with the disk idle: the last import's dirty pages would slow this run's syncs.
				spawnSync('sync');
				await sleep(1000);
				const data = join(folder, `data-${rep}-${system}`);
				const run = await acknowledgementsBeside(data, system === 'project' ? file : undefined, importMs);
				if (system === 'project') importMs = run['import time']! * 1000;
				runs[system][rep] = run;
			}
		}
		const result: ScenarioResult = { workload: 'W14', name, params: { nodes: leaves + groups + 1, rate: 200 }, updateInterval: 50, metrics: {} };
		for (const metric of metrics) record(result, { name: metric, unit: 'ms', better: 'lower', value: () => 0 }, runs, metric);
		record(result, { name: 'import time', unit: 's', better: 'lower', value: () => 0 }, runs, 'import time');
		return result;
	} finally {
		rmSync(folder, { recursive: true, force: true });
	}
}

/**
 * Starts `socketdb serve` on `data`, writes 200 acknowledged values per second to it, and runs
 * `socketdb import file` beside it (or, without a file, waits `durationMs`); then the waits from
 * each `set()` to its acknowledgement.
 */
async function acknowledgementsBeside(data: string, file: string | undefined, durationMs: number): Promise<Record<string, number>> {
	const { SocketDBClient } = await import('@socketdb/client');
	const server = spawn(process.execPath, ['cli/bin/socketdb.js', 'serve', '--port', '0', '--data', data, '--no-inspector'], { stdio: ['ignore', 'pipe', 'inherit'] });
	const limit = setTimeout(() => server.kill('SIGKILL'), RUN_LIMIT_MS);
	const db = SocketDBClient();
	try {
		const url = await listeningUrl(server);
		db.connect(url);
		await db.get('live/ready').set(true);

		let running = true;
		let importSeconds = Number.NaN;
		const done =
			file === undefined
				? sleep(durationMs)
				: new Promise<void>((resolve, reject) => {
						const startedAt = performance.now();
						const child = spawn(process.execPath, ['cli/bin/socketdb.js', 'import', file, '--data', data], { stdio: ['ignore', 'ignore', 'pipe'] });
						let stderr = '';
						child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
						child.once('exit', (code) => {
							importSeconds = (performance.now() - startedAt) / 1000;
							if (code === 0) resolve();
							else reject(new Error(`socketdb import exited with ${code}: ${stderr}`));
						});
					});
		void done.finally(() => (running = false)).catch(() => undefined);
		const waits: number[] = [];
		const pending: Promise<void>[] = [];
		const start = performance.now();
		for (let i = 0; running; i++) {
			const wait = start + i * 5 - performance.now();
			if (wait > 1) await sleep(wait);
			const sentAt = performance.now();
			pending.push(Promise.resolve(db.get(`live/w${i % 1000}`).set({ i, sentAt })).then(() => void waits.push(performance.now() - sentAt)));
		}
		await done;
		await Promise.all(pending);
		console.log(`  ${file === undefined ? 'no import' : `import ${importSeconds.toFixed(1)} s`}: ${waits.length} writes acknowledged, longest wait ${Math.max(...waits).toFixed(1)} ms`);
		return { 'acknowledgement p50': percentile(waits, 50), 'acknowledgement p99': percentile(waits, 99), 'acknowledgement max': Math.max(...waits), 'import time': importSeconds };
	} finally {
		clearTimeout(limit);
		db.disconnect();
		server.kill('SIGTERM');
		await exited(server);
	}
}

if (only === undefined || only.includes('W14')) results.push(await importBesideServerScenario());

/**
 * W13: the bytes a client that comes back after 10 changes to its 10,000-leaf subscription is
 * sent (project), against the bytes of a full resync (baseline); see bench/delta-resume.ts.
 */
async function deltaResumeScenario(): Promise<ScenarioResult> {
	const params = { leaves: 10_000, changes: 10 };
	const name = `delta resume: bytes sent to a client that comes back after ${params.changes} changes to its ${params.leaves.toLocaleString('en')}-leaf subscription (baseline: a fresh client, a full resync)`;
	console.log(`\nW13 ${name}`);
	const metric = 'bytes the server sent';
	const runs: Record<System, Record<string, number>[]> = { project: [], baseline: [] };
	for (let rep = 0; rep < REPETITIONS; rep++) {
		const server = await start('bench/servers/project.ts', { UPDATE_INTERVAL: '50' });
		try {
			const run = await measureDeltaResume(await server.request<string>('address'), params);
			runs.project[rep] = { [metric]: run.resumedBytes };
			runs.baseline[rep] = { [metric]: run.freshBytes };
		} finally {
			await server.request('stop', undefined, 10_000).catch(() => undefined);
			await exited(server.child);
		}
	}
	const result: ScenarioResult = { workload: 'W13', name, params, updateInterval: 50, metrics: {} };
	record(result, { name: metric, unit: 'B', better: 'lower', value: () => 0 }, runs, metric);
	console.log(`  the resync took ${runs.project.map((run, rep) => `${((100 * run[metric]!) / runs.baseline[rep]![metric]!).toFixed(2)}%`).join(', ')} of a full resync's bytes (target: at most 5%)`);
	return result;
}

if (only === undefined || only.includes('W13')) results.push(await deltaResumeScenario());

/** W15: what the rules plugin's decision costs per write (bench/micro/rules.ts, in a process of its own per repetition). */
function rulesScenario(): ScenarioResult {
	const name = 'access rules: deciding a write under a three-level rule tree (baseline: one grant at the root)';
	console.log(`\nW15 ${name}`);
	const runs: Record<System, Record<string, number>[]> = { project: [], baseline: [] };
	for (let rep = 0; rep < REPETITIONS; rep++) {
		const output = execFileSync(process.execPath, ['--import', 'tsx', 'bench/micro/rules.ts', String(quick ? 50_000 : 500_000)], { encoding: 'utf8' });
		const figures = JSON.parse(output.trim().split('\n').at(-1)!) as { baseMicros: number; ruledMicros: number; ruleMicros: number };
		runs.project.push({ decided: figures.ruledMicros, evaluation: figures.ruleMicros });
		runs.baseline.push({ decided: figures.baseMicros, evaluation: 0 });
	}
	const result: ScenarioResult = { workload: 'W15', name, params: { writes: quick ? 50_000 : 500_000 }, updateInterval: 0, metrics: {} };
	record(result, { name: 'time to decide a write', unit: 'µs', better: 'lower', value: () => 0 }, runs, 'decided');
	console.log(`  rule evaluation per write: ${runs.project.map((run) => run['evaluation']!.toFixed(2)).join(', ')} µs (target: at most 2 µs)`);
	return result;
}

if (only === undefined || only.includes('W15')) results.push(rulesScenario());

let bundle: { minifiedBytes: number; gzipBytes: number } | undefined;
if (only === undefined || only.includes('W6')) {
	const bytes = readFileSync('client/dist/socketdb-client.browser.js');
	bundle = { minifiedBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
	console.log(`\nW6 client bundle: ${(bundle.minifiedBytes / 1024).toFixed(1)} KB minified, ${(bundle.gzipBytes / 1024).toFixed(1)} KB min+gzip (budget 22 KB)`);
}

mkdirSync('bench/results', { recursive: true });
const report = { date: new Date().toISOString(), durationSeconds: Math.round((Date.now() - startedAt) / 1000), quick, repetitions: REPETITIONS, machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version }, scenarios: results, bundle };
const partial = quick || only !== undefined || process.env['BENCH_SCENARIO'] !== undefined || REPETITIONS !== 3;
writeFileSync(partial ? 'bench/results/partial.json' : 'bench/results/latest.json', `${JSON.stringify(report, null, '\t')}\n`);
console.log(`\ndone in ${report.durationSeconds} s`);
