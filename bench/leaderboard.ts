/**
 * W11 leaderboard, the client side (run in the clients process): a writer fills `board` with
 * `children` children `{ score, name }`; `subscribers` clients, each through its own counting
 * proxy (so the bytes each one is sent are known), watch either the top ten
 * (`orderByChild('score').limitToLast(10)`, "query") or the whole collection (`on`, "collection");
 * then the writer changes random scores at `rate` per second for `durationMs`. Public client API
 * only.
 */
import { createWebsocketClient, SocketDBClient, type SocketDBClientAPI } from '@socketdb/client';
import { startCountingProxy, type CountingProxy } from './lib/counting-proxy';
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

/** The keys of the top `WINDOW` children by score, in the query's order (ascending; ties by key). */
function topKeys(scores: Map<string, number>): string[] {
	return [...scores]
		.sort(([ka, a], [kb, b]) => a - b || (ka < kb ? -1 : ka > kb ? 1 : 0))
		.slice(-WINDOW)
		.map(([key]) => key);
}

export async function setupLeaderboard(url: string, kind: 'query' | 'collection', params: LeaderboardParams) {
	const { children, rate, durationMs } = params;
	const subscribers = kind === 'query' ? params.subscribers : params.collectionSubscribers;
	const next = random(42);
	const writer = await client(url);
	const scores = new Map<string, number>();
	const port = Number(new URL(url).port);
	const watchers: Watcher[] = [];
	const close = async () => {
		writer.disconnect();
		for (const watcher of watchers) {
			watcher.db.disconnect();
			await watcher.proxy.close();
		}
	};

	// Loaded in sets of one child each, a few thousand in flight: one set of the whole collection
	// would pass the server's limit of keys per write.
	for (let start = 0; start < children; start += 5000) {
		const batch: Promise<void>[] = [];
		for (let i = start; i < Math.min(children, start + 5000); i++) {
			const score = Math.floor(next() * SCORES);
			scores.set(`p${i}`, score);
			batch.push(Promise.resolve(writer.get(`${PATH}/p${i}`).set({ score, name: `player ${i}` })).then(() => undefined));
		}
		await Promise.all(batch);
	}

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
			const pending: Promise<void>[] = [];
			const total = Math.round((rate * durationMs) / 1000);
			const start = performance.now();
			for (let i = 0; i < total; i++) {
				const wait = start + (i * 1000) / rate - performance.now();
				if (wait > 1) await sleep(wait);
				const key = keys[Math.floor(next() * keys.length)]!;
				const score = Math.floor(next() * SCORES);
				const before = topKeys(scores).join();
				scores.set(key, score);
				const top = topKeys(scores);
				if (top.join() !== before || top.includes(key)) windowChanges++;
				pending.push(Promise.resolve(writer.get(`${PATH}/${key}/score`).set(score)).then(() => undefined));
			}
			await Promise.all(pending);
			// Everything the writes cause has been sent well within this (updateInterval is 50 ms).
			await sleep(500);
			const expected = topKeys(scores).join();
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
