/**
 * W11 leaderboard, the client side (run in the clients process): a writer (in its own process,
 * bench/leaderboard-writer.ts) fills `board` with `children` children `{ score, name }`;
 * `subscribers` clients, each through its own counting proxy (so the bytes each one is sent are
 * known), watch either the top ten (`orderByChild('score').limitToLast(10)`, "query") or the whole
 * collection (`on`, "collection"); then the writer changes random scores at `rate` per second for
 * `durationMs`. Public client API only.
 */
import { createWebsocketClient, SocketDBClient, type SocketDBClientAPI } from '@socketdb/client';
import { startCountingProxy, type CountingProxy } from './lib/counting-proxy';
import { exited, start } from './lib/processes';
import { sleep } from './lib/stats';

/** `subscribers` watch the query; `collectionSubscribers` (fewer: each holds the whole collection) the collection. */
export type LeaderboardParams = { children: number; subscribers: number; collectionSubscribers: number; rate: number; durationMs: number };
type Watcher = { db: SocketDBClientAPI; proxy: CountingProxy; results: number; top: string[] };

const PATH = 'board';
const WINDOW = 10;
const SCORES = 1_000_000_000;

/** A small seeded generator, so both kinds of subscriber see the same writes. */
function random(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state * 1103515245 + 12345) & 0x7fffffff;
		return state / 0x80000000;
	};
}

function client(url: string): Promise<SocketDBClientAPI> {
	const db = SocketDBClient({ socketClient: createWebsocketClient({ reconnectTimeout: 1000 }) });
	db.connect(url);
	return new Promise((resolve) => db.intercept('client:firstConnect', () => resolve(db)));
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error('timed out');
		await sleep(2);
	}
}

/** Score order, as the query sorts: ascending, ties by key. */
function compare(scores: Map<string, number>, a: string, b: string): number {
	return scores.get(a)! - scores.get(b)! || (a < b ? -1 : a > b ? 1 : 0);
}

/** The keys of the top `WINDOW` children by score, in the query's order, by one pass over them all. */
function topKeys(scores: Map<string, number>): string[] {
	const top: string[] = [];
	for (const key of scores.keys()) {
		if (top.length === WINDOW && compare(scores, key, top[0]!) < 0) continue;
		top.push(key);
		top.sort((a, b) => compare(scores, a, b));
		if (top.length > WINDOW) top.shift();
	}
	return top;
}

/**
 * The top ten after `key`'s score changed (already in `scores`), from the top ten before it:
 * without a pass over every child unless a child of the top ten fell: working out the writes
 * must not keep the process from its clients (they answer the server's keep-alive pings).
 */
function nextTop(scores: Map<string, number>, top: readonly string[], key: string): string[] {
	const held = top.includes(key);
	if (held && compare(scores, key, top.find((other) => other !== key) ?? key) < 0) return topKeys(scores);
	const next = held ? [...top] : [...top, key];
	next.sort((a, b) => compare(scores, a, b));
	return next.slice(-WINDOW);
}

export async function setupLeaderboard(url: string, kind: 'query' | 'collection', params: LeaderboardParams) {
	const { children, rate, durationMs } = params;
	const subscribers = kind === 'query' ? params.subscribers : params.collectionSubscribers;
	const next = random(42);
	const writer = await start('bench/leaderboard-writer.ts', {});
	const scores = new Map<string, number>();
	const port = Number(new URL(url).port);
	const watchers: Watcher[] = [];
	const close = async () => {
		await writer.request('close');
		writer.child.kill();
		await exited(writer.child);
		for (const watcher of watchers) {
			watcher.db.disconnect();
			await watcher.proxy.close();
		}
	};

	for (let i = 0; i < children; i++) scores.set(`p${i}`, Math.floor(next() * SCORES));
	await writer.request('load', { url, path: PATH, children: [...scores] }, 600_000);

	for (let i = 0; i < subscribers; i++) {
		const proxy = await startCountingProxy({ port });
		watchers.push({ db: await client(proxy.url), proxy, results: 0, top: [] });
	}
	for (const watcher of watchers) watcher.proxy.resetCount();
	const subscribedAt = performance.now();
	for (const watcher of watchers) {
		if (kind === 'query') {
			watcher.db
				.get(PATH)
				.orderByChild('score')
				.limitToLast(WINDOW)
				.on((entries) => {
					watcher.results++;
					watcher.top = entries.map((entry) => entry.key);
				});
		} else {
			watcher.db.get(PATH).on(() => void watcher.results++);
		}
	}
	await until(() => watchers.every((watcher) => watcher.results > 0), 120_000);
	const subscribeMs = performance.now() - subscribedAt;
	const subscribeBytes = watchers.reduce((sum, watcher) => sum + watcher.proxy.received(), 0) / subscribers;
	if (kind === 'query' && watchers.some((watcher) => watcher.top.join() !== topKeys(scores).join())) throw new Error('a subscriber was sent another top ten than the collection holds');

	return {
		close,
		async go(): Promise<Record<string, number>> {
			for (const watcher of watchers) {
				watcher.proxy.resetCount();
				watcher.results = 0;
			}
			const keys = [...scores.keys()];
			let windowChanges = 0;
			let top = topKeys(scores);
			const changes: [string, number][] = [];
			const total = Math.round((rate * durationMs) / 1000);
			for (let i = 0; i < total; i++) {
				const key = keys[Math.floor(next() * keys.length)]!;
				const score = Math.floor(next() * SCORES);
				const before = top;
				scores.set(key, score);
				top = nextTop(scores, before, key);
				if (top.join() !== before.join() || top.includes(key)) windowChanges++;
				changes.push([key, score]);
			}
			await writer.request('write', { path: PATH, changes, rate }, 600_000);
			// Everything the writes cause has been sent well within this (updateInterval is 50 ms).
			await sleep(500);
			const expected = topKeys(scores).join();
			if (expected !== top.join()) throw new Error('the bench lost track of the top ten');
			if (kind === 'query' && watchers.some((watcher) => watcher.top.join() !== expected)) throw new Error('a subscriber does not hold the top ten after the writes');
			const unchanged = watchers.filter((watcher) => watcher.results === 0);
			return {
				written: total,
				windowChanges,
				subscribeMs,
				subscribeBytes,
				bytesPerWriteAndClient: watchers.reduce((sum, watcher) => sum + watcher.proxy.received(), 0) / total / subscribers,
				unchangedClients: unchanged.length,
				unchangedSentNothingPercent: unchanged.length === 0 ? Number.NaN : (100 * unchanged.filter((watcher) => watcher.proxy.received() === 0).length) / unchanged.length,
			};
		},
	};
}
