/**
 * W13 delta resume: one client watches a value of `leaves` leaves through a proxy that counts the
 * bytes the server sends. The proxy cuts the connection and turns the client away while another
 * client, connected directly, makes `changes` changes to the value; then it lets the client back.
 * Measured: the bytes the server sent from then until the client holds the changed value, and the
 * same for a fresh client that subscribes to the value then (a full resync: it holds no revision).
 * Public client API only; the connection is cut from outside.
 */
import { createWebsocketClient, SocketDBClient, type SocketDBClientAPI } from '@socketdb/client';
import { startCountingProxy } from './lib/counting-proxy';
import { sleep } from './lib/stats';

type Value = Record<string, Record<string, unknown>>;
export type ResumeRun = { resumedBytes: number; freshBytes: number };

const GROUP = 100;

export async function measureDeltaResume(url: string, { leaves, changes }: { leaves: number; changes: number }): Promise<ResumeRun> {
	const value: Value = {};
	for (let i = 0; i < leaves; i++) (value[`g${Math.floor(i / GROUP)}`] ??= {})[`f${i % GROUP}`] = i % 3 === 0 ? `leaf ${i}` : i;
	const changed = Array.from({ length: changes }, (_, i) => ({ group: `g${(i * 7) % (leaves / GROUP)}`, field: `f${(i * 13) % GROUP}`, value: `changed ${i}` }));
	const holdsChanges = (seen: Value | undefined) => seen !== undefined && Object.keys(seen).length === leaves / GROUP && changed.every(({ group, field, value: expected }) => seen[group]?.[field] === expected);

	const writer = client(url);
	const proxy = await startCountingProxy({ port: Number(new URL(url).port) });
	const clients: SocketDBClientAPI[] = [writer];
	try {
		await writer.get('doc').set(value);
		const watcher = client(proxy.url);
		clients.push(watcher);
		let seen: Value | undefined;
		watcher.get('doc').on((data) => (seen = data as Value));
		await until(() => seen !== undefined && Object.keys(seen).length === leaves / GROUP);

		const away = new Promise<void>((resolve) => watcher.intercept('client:disconnect', () => resolve()));
		proxy.hold();
		await away;
		for (const { group, field, value: next } of changed) await writer.get(`doc/${group}/${field}`).set(next);
		proxy.resetCount();
		proxy.release();
		await until(() => holdsChanges(seen));
		const resumedBytes = proxy.received();

		proxy.resetCount();
		const fresh = client(proxy.url);
		clients.push(fresh);
		let freshSeen: Value | undefined;
		fresh.get('doc').on((data) => (freshSeen = data as Value));
		await until(() => holdsChanges(freshSeen));
		return { resumedBytes, freshBytes: proxy.received() };
	} finally {
		for (const each of clients) each.disconnect();
		await proxy.close();
	}
}

/** A client that tries again soon after the proxy turned it away (the default backoff grows to seconds). */
function client(url: string): SocketDBClientAPI {
	const db = SocketDBClient({ socketClient: createWebsocketClient({ reconnectTimeout: 100 }) });
	db.connect(url);
	return db;
}

async function until(condition: () => boolean): Promise<void> {
	const deadline = Date.now() + 30_000;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error('timed out');
		await sleep(1);
	}
}
