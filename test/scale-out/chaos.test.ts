import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, onTestFinished, test } from 'vitest';
import { temporaryDirectory } from '../helpers/cli';
import { startNode, type ClusterNode } from '../helpers/cluster';
import { randomPath, seededRandom } from '../helpers/random';
import { redisForTests } from '../helpers/redis';
import { connectClient, waitFor } from '../helpers/server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

// CLUSTER_CHAOS_SEEDS=n runs seeds 1..n; `npm run test:chaos` runs 100, `npm test` a few. CHAOS_VERBOSE=1 prints what each seed did.
const SEEDS = Number(process.env['CLUSTER_CHAOS_SEEDS'] ?? 6);
const NODES = 3;
const CLIENTS = 5;
const STEPS = 120;

const redis = redisForTests({ appendonly: true });

type Slot = { node: ClusterNode | undefined; data: string | undefined; toRedis: TcpProxy; restarting: Promise<void> | undefined };

/**
 * Three `socketdb serve --redis` processes, each reaching Redis through a proxy of its own;
 * clients reach them through a balancer. Clients write and delete at random (each in its own
 * part of the tree, so the expected end state is known: its own writes in its order), while
 * processes are killed with SIGKILL and started again on their data, and cut off from Redis
 * for a while. Afterwards every write was acknowledged, every process holds exactly the
 * expected tree, and every client, which watches its own part and shows its writes at once
 * (optimistic), shows that part as the processes hold it.
 */
async function chaos(seed: number): Promise<void> {
	const random = seededRandom(seed);
	const name = `chaos${seed}-${Date.now()}`;
	const slots: Slot[] = await Promise.all(
		Array.from({ length: NODES }, async () => {
			const toRedis = await startTcpProxy(() => [redis().port]);
			return { node: undefined, data: undefined, toRedis, restarting: undefined } as Slot;
		}),
	);
	// Odd seeds snapshot and trim the log often, so restarted processes load snapshots.
	const config = temporaryDirectory();
	const args = ['--update-interval', '0'];
	if (seed % 2 === 1) {
		writeFileSync(join(config.path, 'cluster.json'), JSON.stringify({ replication: { snapshotEvery: 15, retain: 5 } }));
		args.push('--config', join(config.path, 'cluster.json'));
	}
	onTestFinished(config.remove);
	const start = async (slot: Slot) => {
		slot.node = await startNode(`redis://127.0.0.1:${slot.toRedis.port}`, name, { args, ...(slot.data === undefined ? {} : { data: slot.data }) });
		slot.data = slot.node.data;
	};
	for (const slot of slots) await start(slot);
	// As a supervisor would: a process that cannot reach Redis as it starts (its link is cut) exits with 1, and is started again.
	const restart = async (slot: Slot) => {
		for (let attempt = 1; ; attempt++) {
			try {
				return await start(slot);
			} catch (error) {
				if (attempt === 20 || !/cannot reach Redis/.test((error as Error).message)) throw error;
				await new Promise((resume) => setTimeout(resume, 200));
			}
		}
	};
	const balancer = await startTcpProxy(() => slots.flatMap((slot) => (slot.node === undefined || slot.restarting !== undefined ? [] : [slot.node.port])));
	const url = `ws://127.0.0.1:${balancer.port}`;
	const clients = Array.from({ length: CLIENTS }, (_, index) => ({ index, db: connectClient(url), model: {} as Record<string, unknown>, written: false, view: undefined as unknown }));
	for (const client of clients) client.db.get(`c${client.index}`).on((value) => (client.view = value));

	const writes: Promise<unknown>[] = [];
	const failures: string[] = [];
	let kills = 0;
	let cuts = 0;
	for (let step = 0; step < STEPS; step++) {
		const action = random.int(40);
		if (action < 34) {
			const client = random.pick(clients);
			const path = randomPath(random);
			const top = path.split('/')[0]!;
			if (action < 28) {
				// Leaves only, so that a write replaces what was there and the model is a plain map.
				const value = random.chance(0.5) ? step : [seed, step];
				client.model[top] = value;
				client.written = true;
				writes.push(Promise.resolve(client.db.get(`c${client.index}/${top}`).set(value as never)).catch((error: Error) => failures.push(`c${client.index}/${top}: ${error.message}`)));
			} else {
				delete client.model[top];
				writes.push(Promise.resolve(client.db.get(`c${client.index}/${top}`).delete()).catch((error: Error) => failures.push(`c${client.index}/${top}: ${error.message}`)));
			}
		} else if (action < 37) {
			const slot = random.pick(slots);
			if (slot.restarting === undefined && slots.filter((other) => other.restarting === undefined).length > 1) {
				kills++;
				const node = slot.node!;
				slot.restarting = node
					.kill9()
					.then(() => new Promise((resume) => setTimeout(resume, 100 + random.int(400))))
					.then(() => restart(slot))
					.finally(() => (slot.restarting = undefined));
			}
		} else {
			const slot = random.pick(slots);
			cuts++;
			slot.toRedis.cut();
			setTimeout(() => slot.toRedis.heal(), 200 + random.int(800));
		}
		if (random.chance(0.4)) await new Promise((resume) => setTimeout(resume, random.int(15)));
	}
	for (const slot of slots) slot.toRedis.heal();
	let settled = false;
	void Promise.all(writes).then(() => (settled = true));
	await waitFor(() => settled, `seed ${seed}: every write answered`, 30_000);
	await Promise.all(slots.map((slot) => slot.restarting));
	expect(failures, `seed ${seed}`).toEqual([]);

	// A client's part exists once it was written, even when all its keys were deleted since (an empty object).
	const expected: Record<string, unknown> = {};
	for (const client of clients) if (client.written) expected[`c${client.index}`] = client.model;
	const readers = slots.map((slot) => connectClient(slot.node!.url));
	const trees: unknown[] = readers.map(() => undefined);
	readers.forEach((reader, i) => reader.get('').on((value) => (trees[i] = value)));
	await waitFor(() => trees.every((tree) => isDeepStrictEqual(tree, expected)), `seed ${seed}: every node holds the expected tree`, 15_000).catch(() => undefined);
	trees.forEach((tree, i) => {
		const node = slots[i]!.node!;
		// A process that stopped serving says why in its output.
		const state = node.child.exitCode === null && node.child.signalCode === null ? '' : `; it exited:\n${node.output().slice(-2_000)}`;
		expect(tree, `seed ${seed} (${kills} kills, ${cuts} cuts), node ${i}${state}`).toEqual(expected);
	});
	const own = (client: (typeof clients)[number]) => (client.written ? client.model : null);
	await waitFor(() => clients.every((client) => isDeepStrictEqual(client.view, own(client))), `seed ${seed}: every client shows its part`, 5_000).catch(() => undefined);
	for (const client of clients) expect(client.view, `seed ${seed}: what client ${client.index} shows of its part`).toEqual(own(client));
	if (process.env['CHAOS_VERBOSE']) console.log(`seed ${seed}: ${kills} kills, ${cuts} cuts, ${writes.length} writes`);
}

describe('chaos across three nodes: random writes, kill -9 and cuts from Redis (seeded)', () => {
	for (let seed = 1; seed <= SEEDS; seed++) test(`seed ${seed}`, () => chaos(seed), 90_000);
});
