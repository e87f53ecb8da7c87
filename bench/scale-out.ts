/**
 * One run of W10: `nodes` processes of `socketdb serve` as one database on a private Redis (or
 * one plain `socketdb serve` without Redis), the scale-out clients of bench/clients.ts against
 * them, and what the processes cost over the measured writes: the CPU of every node process, and
 * Redis's commands and CPU.
 */
import type { ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { processCpuMicros } from './lib/process-cpu';
import { exited, start, startServe, type Worker } from './lib/processes';
import { commandCalls, parseInfo, type BenchRedis } from './lib/redis-server';

export type Layout = { name: string; nodes: number; redis: boolean };
export type ScaleOutParams = { subscribers: number; rate: number; warmupMs: number; durationMs: number };

type Sample = { nodeCpu: number[]; redisCpu: number; commands: number; calls: Record<string, number> };

/**
 * Every node keeps its data in memory: the log in Redis is what the processes share, and with a
 * data directory each would also commit every entry to its own LMDB file on the one disk of the
 * machine, which measures the disk rather than the scale-out. `--update-interval 0` sends every
 * change as it is applied, so latency shows the log's hop rather than a batching window.
 */
const serveArgs = ['--host', '127.0.0.1', '--port', '0', '--memory', '--update-interval', '0', '--no-inspector'];

export async function scaleOutRun(redis: BenchRedis, layout: Layout, params: ScaleOutParams, limitMs: number): Promise<Record<string, number>> {
	const nodes: { child: ChildProcess; url: string }[] = [];
	let clients: Worker | undefined;
	const limit = setTimeout(() => {
		console.error(`  run exceeded ${limitMs} ms; killed`);
		for (const node of nodes) node.child.kill('SIGKILL');
		clients?.child.kill('SIGKILL');
	}, limitMs);
	try {
		await redis.command('FLUSHALL');
		const args = layout.redis ? [...serveArgs, '--redis', redis.url, '--cluster', 'w10'] : serveArgs;
		// The first node makes the cluster, the others join it.
		nodes.push(await startServe(args));
		const joined = await Promise.allSettled(Array.from({ length: layout.nodes - 1 }, () => startServe(args)));
		for (const node of joined) if (node.status === 'fulfilled') nodes.push(node.value);
		for (const node of joined) if (node.status === 'rejected') throw node.reason;
		clients = await start('bench/clients.ts', {});
		const urls = nodes.map((node) => node.url);
		await clients.request('setup', { workload: 'scaleOut', system: 'project', url: urls[0], urls, params }, limitMs);

		const sample = async (): Promise<Sample> => {
			const nodeCpu = nodes.map((node) => processCpuMicros(node.child.pid!));
			if (!layout.redis) return { nodeCpu, redisCpu: Number.NaN, commands: Number.NaN, calls: {} };
			// One INFO for both sections, so the window holds one command of the bench's own.
			const info = parseInfo(await redis.command('INFO', 'stats', 'commandstats'));
			return { nodeCpu, redisCpu: processCpuMicros(redis.pid), commands: Number(info.get('total_commands_processed')), calls: commandCalls(info) };
		};
		const before = await sample();
		const measured = await clients.request<Record<string, number | null>>('go', undefined, limitMs);
		const after = await sample();
		// NaN (no cross-node subscribers with one node) comes back over IPC as null.
		const client = Object.fromEntries(Object.entries(measured).map(([key, value]) => [key, value ?? Number.NaN]));
		if (client['complete'] !== 1) throw new Error(`not every subscriber saw the last value (${client['deliveredPercent']!.toFixed(1)}% delivered)`);

		const written = client['written']!;
		const nodeCpu = after.nodeCpu.map((cpu, index) => cpu - before.nodeCpu[index]!);
		const serverCpu = nodeCpu.reduce((sum, cpu) => sum + cpu, 0);
		const calls = Object.entries(after.calls)
			.map(([name, count]) => [name, (count - (before.calls[name] ?? 0)) / written] as const)
			.filter(([, perWrite]) => perWrite > 0)
			.sort((a, b) => b[1] - a[1]);
		const commandsPerWrite = (after.commands - before.commands) / written;
		const redisPart = layout.redis ? `; Redis ${commandsPerWrite.toFixed(2)} commands per write (${calls.map(([name, perWrite]) => `${name} ${perWrite.toFixed(2)}`).join(', ')})` : '';
		console.log(
			`  ${layout.name} (load average ${loadavg()[0]!.toFixed(1)}): p99 same-node ${client['sameP99']!.toFixed(2)} ms, cross-node ${Number.isNaN(client['crossP99']) ? 'n/a' : `${client['crossP99']!.toFixed(2)} ms`}; CPU per node ${nodeCpu.map((cpu) => `${(cpu / 1000).toFixed(0)}`).join(' + ')} ms${redisPart}`,
		);
		return {
			...client,
			serverCpuPerDelivery: serverCpu / client['delivered']!,
			serverCpuPerWrite: serverCpu / written,
			redisCommandsPerWrite: commandsPerWrite,
			redisCpuPerWrite: (after.redisCpu - before.redisCpu) / written,
		};
	} finally {
		clearTimeout(limit);
		if (clients !== undefined) {
			await clients.request('exit', undefined, 10_000).catch(() => undefined);
			await exited(clients.child);
		}
		for (const node of nodes) node.child.kill('SIGTERM');
		await Promise.all(nodes.map((node) => exited(node.child)));
	}
}
