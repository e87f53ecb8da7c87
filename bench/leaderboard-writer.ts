/**
 * W11's writer, in a process of its own: the clients on the whole collection cost their process
 * much time per change, and a writer sharing it would fall behind and send its writes in bursts,
 * which cost the server less per write than the evenly spaced ones the query clients see. Public
 * client API only.
 */
import { createWebsocketClient, SocketDBClient, type SocketDBClientAPI } from '@socketdb/client';
import { serveRequests } from './lib/ipc';
import { sleep } from './lib/stats';

/** `[key, score]`: one child, or one change of a child's score. */
type Score = [string, number];

let db: SocketDBClientAPI | undefined;

serveRequests({
	/** Connects to `url` and sets every child to `{ score, name }`, a few thousand in flight. */
	load: async (payload) => {
		const { url, path, children } = payload as { url: string; path: string; children: Score[] };
		db = SocketDBClient({ socketClient: createWebsocketClient({ reconnectTimeout: 1000 }) });
		db.connect(url);
		// One set of the whole collection would pass the server's limit of keys per write.
		for (let start = 0; start < children.length; start += 5000) {
			await Promise.all(children.slice(start, start + 5000).map(([key, score]) => Promise.resolve(db!.get(`${path}/${key}`).set({ score, name: `player ${key}` }))));
		}
		return true;
	},
	/** Sets the scores at `rate` per second, evenly spaced; resolves once the server acknowledged them all. */
	write: async (payload) => {
		const { path, changes, rate } = payload as { path: string; changes: Score[]; rate: number };
		const pending: Promise<void>[] = [];
		const start = performance.now();
		for (let i = 0; i < changes.length; i++) {
			const wait = start + (i * 1000) / rate - performance.now();
			if (wait > 1) await sleep(wait);
			const [key, score] = changes[i]!;
			pending.push(Promise.resolve(db!.get(`${path}/${key}/score`).set(score)));
		}
		await Promise.all(pending);
		return true;
	},
	close: () => {
		db?.disconnect();
		return true;
	},
});
process.send!({ ready: true });
