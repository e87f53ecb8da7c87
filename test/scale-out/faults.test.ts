import { expect, test } from 'vitest';
import { startNode } from '../helpers/cluster';
import { redisForTests } from '../helpers/redis';
import { connectClient } from '../helpers/server';
import { startTcpProxy } from '../helpers/tcp-proxy';

const testRedis = redisForTests({ appendonly: true });
let clusters = 0;
const cluster = () => `f${++clusters}`;

const read = (db: ReturnType<typeof connectClient>, path: string) => new Promise<unknown>((resolve) => db.get(path).once(resolve));

test('a node cut off from Redis for 5 s catches up with every change, serves reads meanwhile, and its writes wait to be logged', { timeout: 40_000 }, async () => {
	const name = cluster();
	const redis = testRedis();
	const toRedis = await startTcpProxy(() => [redis.port]);
	const a = await startNode(redis.url, name);
	const cut = await startNode(`redis://127.0.0.1:${toRedis.port}`, name);
	const writer = connectClient(a.url);
	const onCut = connectClient(cut.url);
	const seen = new Map<string, unknown>();
	onCut.get('feed').on((value) => seen.set('feed', value));
	await writer.get('feed/0').set(0);
	await expect.poll(() => seen.get('feed')).toEqual({ 0: 0 });

	toRedis.cut();
	const cutAt = Date.now();
	const expected: Record<string, number> = { 0: 0 };
	let i = 1;
	while (Date.now() - cutAt < 5_000) {
		await writer.get(`feed/${i}`).set(i);
		expected[i] = i;
		i++;
		await new Promise((resume) => setTimeout(resume, 20));
	}
	// Reads are served from the node's last state; a write taken meanwhile is acknowledged once logged.
	expect(await read(onCut, 'feed/0')).toBe(0);
	let heldAcknowledged = false;
	const held = Promise.resolve(onCut.get('held').set('during the cut')).then(() => (heldAcknowledged = true));
	// A read of a path the client holds nothing of is answered after the write was handled: an
	// acknowledgement would have come before it.
	expect(await read(onCut, 'never/written')).toBe(null);
	expect(heldAcknowledged).toBe(false);
	toRedis.heal();
	await held;
	await expect.poll(() => seen.get('feed'), { timeout: 10_000 }).toEqual(expected);
	expect(await read(writer, 'held')).toBe('during the cut');
	expect(i).toBeGreaterThan(50);
});

test('kill -9 of a node under load: every acknowledged write is on the others, and its clients resend through the balancer exactly once', { timeout: 40_000 }, async () => {
	const name = cluster();
	const redis = testRedis();
	const [a, b] = await Promise.all([startNode(redis.url, name), startNode(redis.url, name)]);
	let alive = [a!, b!];
	const balancer = await startTcpProxy(() => alive.map((node) => node.port));
	const url = `ws://127.0.0.1:${balancer.port}`;
	// Each writer lands on a node through the balancer; half of them on the node that dies.
	const writers = Array.from({ length: 4 }, () => connectClient(url));
	const observer = connectClient(b!.url);
	const history: number[][] = writers.map(() => []);
	writers.forEach((_, w) => observer.get(`last/w${w}`).on((value) => typeof value === 'number' && history[w]!.push(value)));
	await Promise.all(writers.map((db, w) => db.get(`last/w${w}`).set(0)));

	const acknowledged: Set<number>[] = writers.map(() => new Set());
	const failures: string[] = [];
	const N = 300;
	const all: Promise<unknown>[] = [];
	let killed: Promise<void> | undefined;
	for (let n = 1; n <= N; n++) {
		writers.forEach((db, w) => {
			const written = Promise.all([db.get(`log/w${w}/${n}`).set(n), db.get(`last/w${w}`).set(n)]);
			all.push(written.then(() => acknowledged[w]!.add(n), (error: Error) => failures.push(error.message)));
		});
		if (n === N / 3) {
			alive = [b!];
			killed = a!.kill9();
		}
		if (n % 10 === 0) await new Promise((resume) => setTimeout(resume, 5));
	}
	await killed;
	await Promise.all(all);
	expect(failures).toEqual([]);
	for (let w = 0; w < writers.length; w++) {
		expect(acknowledged[w]!.size).toBe(N);
		const log = (await read(observer, `log/w${w}`)) as Record<string, number>;
		expect(Object.keys(log)).toHaveLength(N);
		// Applied once each, in the writer's order: the last value never goes back.
		await expect.poll(() => history[w]!.at(-1)).toBe(N);
		expect(history[w]).toEqual([...history[w]!].sort((x, y) => x - y));
		expect(new Set(history[w]).size).toBe(history[w]!.length);
	}
});

test('a connection to Redis lost again while it resubscribes: the node subscribes once it is back, and keeps serving', { timeout: 30_000 }, async () => {
	const name = cluster();
	const redis = testRedis();
	// After the first subscription, the next one is cut off before Redis answers it.
	let subscriptions = 0;
	const toRedis = await startTcpProxy(() => [redis.port], { dropWhen: (sent) => /\r\nsubscribe\r\n/i.test(sent.toString('latin1')) && ++subscriptions === 2 });
	const a = await startNode(redis.url, name);
	const flaky = await startNode(`redis://127.0.0.1:${toRedis.port}`, name);
	const writer = connectClient(a.url);
	const reader = connectClient(flaky.url);
	const seen: unknown[] = [];
	reader.get('x').on((value) => seen.push(value));
	await writer.get('x').set(1);
	await expect.poll(() => seen.at(-1)).toBe(1);

	expect(toRedis.reset()).toBeGreaterThan(0);
	await expect.poll(() => subscriptions, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
	await writer.get('x').set(2);
	await expect.poll(() => seen.at(-1), { timeout: 10_000 }).toBe(2);
	expect(flaky.child.exitCode).toBeNull();
	expect(flaky.output()).not.toMatch(/MaxRetriesPerRequestError/);
});
