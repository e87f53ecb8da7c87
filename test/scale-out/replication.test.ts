import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { nodeify } from '@socketdb/core';
import { redisReplication } from '@socketdb/redis';
import { startRedis, type TestRedis } from '../helpers/redis';
import { cleanup, connectClient, startServer } from '../helpers/server';

let redis: TestRedis;
let cluster = 0;

beforeAll(async () => {
	redis = await startRedis();
});
afterAll(async () => {
	await redis.stop();
});
afterEach(cleanup);

/** Processes of one new cluster on the test's Redis (in this process, each its own server). */
function nodes(count: number) {
	const name = `c${++cluster}`;
	return Promise.all(Array.from({ length: count }, () => startServer({ replication: redisReplication({ url: redis.url, name }) })));
}

test('a write taken by one process reaches the subscribers of another, with the same revision', async () => {
	const [a, b] = await nodes(2);
	const writer = connectClient(a!.url);
	const reader = connectClient(b!.url);
	const seen: unknown[] = [];
	reader.get('chat/1').on((value) => seen.push(value));
	await writer.get('chat/1').set('hello');
	await expect.poll(() => seen.at(-1)).toBe('hello');
	expect(b!.server.get('chat/1').value).toBe('hello');
	expect(b!.server.stats().revision).toBe(a!.server.stats().revision);
	await b!.server.update(nodeify({ chat: { 2: 'from b' } }));
	await expect.poll(() => a!.server.get('chat/2').value).toBe('from b');
	expect(a!.errors).toEqual([]);
	expect(b!.errors).toEqual([]);
});
