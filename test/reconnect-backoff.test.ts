import type { GoodbyeMessage } from '@socketdb/core';
import { afterEach, expect, test } from 'vitest';
import { cleanup, connectClient, startServer } from './helpers/server';
import { createWebsocketClient } from '@socketdb/client';

// A server that accepts a socket and says goodbye at once must not be hammered by the client it
// turns away: the backoff starts over only once a connection stayed open a while, and a goodbye's
// retryAfter is honoured.

afterEach(cleanup);

const WATCH_MS = 3_000;

/** The times (ms from the first) at which upgrades reach `http` during `ms`. */
async function upgradeTimes(http: import('node:http').Server, ms: number, start: () => void): Promise<number[]> {
	const times: number[] = [];
	const listener = () => times.push(Date.now());
	http.prependListener('upgrade', listener);
	start();
	await new Promise((resolve) => setTimeout(resolve, ms));
	http.off('upgrade', listener);
	return times.map((time) => time - times[0]!);
}

test('a client a full server turns away waits as its goodbye asks (retryAfter), not a hundred milliseconds', async () => {
	const { url, http } = await startServer({ limits: { maxConnections: 1 } });
	await connectClient(url).get('x').set(1);
	const goodbyes: GoodbyeMessage[] = [];
	const times = await upgradeTimes(http, WATCH_MS, () => {
		connectClient(url, { socketClient: createWebsocketClient(), plugins: [{ name: 'goodbyes', hooks: { 'client:serverDisconnectMessage': (goodbye) => void goodbyes.push(goodbye) } }] });
	});
	expect(goodbyes[0]).toMatchObject({ reason: 'too-many-connections', retryAfter: 2_000 });
	expect(times.length).toBeGreaterThanOrEqual(1);
	expect(times.length).toBeLessThanOrEqual(2);
	if (times.length === 2) expect(times[1]).toBeGreaterThanOrEqual(2_000);
});

test('a server that closes every connection at once (a goodbye without retryAfter) sees a handful of attempts in 3 s, further and further apart', async () => {
	const { url, http, server } = await startServer();
	server.intercept('server:clientConnect', (_args, { client }) => client.close());
	const times = await upgradeTimes(http, WATCH_MS, () => void connectClient(url, { socketClient: createWebsocketClient() }));
	expect(times.length).toBeGreaterThanOrEqual(3);
	expect(times.length).toBeLessThanOrEqual(8);
	const gaps = times.slice(1).map((time, index) => time - times[index]!);
	// Each ceiling doubles and the jitter takes at most half of it: every gap after the first two is longer than the one two before.
	for (let index = 2; index < gaps.length; index++) expect(gaps[index]!).toBeGreaterThan(gaps[index - 2]!);
	if (gaps.length >= 4) expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]! * 3);
});

test('after a connection that stayed open, a drop reconnects at once again', async () => {
	const { url, http, server } = await startServer();
	const db = connectClient(url, { socketClient: createWebsocketClient() });
	await db.get('x').set(1);
	// Open for longer than a connection needs to count as healthy.
	await new Promise((resolve) => setTimeout(resolve, 5_200));
	const times = await upgradeTimes(http, 1_000, () => {
		for (const client of server.getClients()) client.close({ reason: 'server-shutdown' });
	});
	expect(times).toHaveLength(1);
	await db.get('x').set(2);
}, 15_000);
