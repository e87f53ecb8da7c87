/**
 * One client connection, the same shape for both systems, so every workload is written once:
 * the project's SocketDBClient (public API only) and a raw ws client of the baseline.
 */
import { createWebsocketClient, SocketDBClient } from '@socketdb/client';
import WebSocket from 'ws';

export interface Connection {
	/** Subscribes to `path`; resolves once the first (current) value arrived; later values go to `onValue`. */
	subscribe(path: string, onValue: (value: unknown) => void): Promise<void>;
	/** Writes `value` at `path` without waiting (the project observes the outcome with `.then()`, as applications that await their writes do). */
	set(path: string, value: unknown): void;
	/** Writes `value` at `path`; resolves once the server acknowledged it (the project only). */
	write(path: string, value: unknown): Promise<void>;
	/** Reads the value at `path` once, as `ref.once` does (the project only). */
	once(path: string): Promise<unknown>;
	close(): void;
}

export type System = 'project' | 'baseline';

const ignore = () => undefined;

export async function connect(system: System, url: string): Promise<Connection> {
	return system === 'project' ? connectProject(url) : connectBaseline(url);
}

async function connectProject(url: string): Promise<Connection> {
	const db = SocketDBClient({ socketClient: createWebsocketClient({ reconnectTimeout: 1000 }) });
	db.connect(url);
	await new Promise<void>((resolve) => db.intercept('client:firstConnect', () => resolve()));
	return {
		subscribe(path, onValue) {
			return new Promise<void>((resolve) => {
				let first = true;
				db.get(path).on((value) => {
					if (first) {
						first = false;
						resolve();
					} else onValue(value);
				});
			});
		},
		set(path, value) {
			// As code that awaits its writes does: every write's outcome is observed.
			db.get(path).set(value as never).then(ignore, ignore);
		},
		async write(path, value) {
			await db.get(path).set(value as never);
		},
		once(path) {
			return new Promise((resolve) => db.get(path).once(resolve));
		},
		close() {
			db.disconnect();
		},
	};
}

async function connectBaseline(url: string): Promise<Connection> {
	const ws = new WebSocket(url);
	await new Promise<void>((resolve, reject) => {
		ws.once('open', () => resolve());
		ws.once('error', reject);
	});
	const handlers = new Map<string, (value: unknown) => void>();
	ws.on('message', (data) => {
		const message = JSON.parse(data.toString()) as { path: string; value: unknown };
		handlers.get(message.path)?.(message.value);
	});
	return {
		subscribe(path, onValue) {
			return new Promise<void>((resolve) => {
				handlers.set(path, () => {
					handlers.set(path, onValue);
					resolve();
				});
				ws.send(JSON.stringify({ t: 'sub', path }));
			});
		},
		set(path, value) {
			ws.send(JSON.stringify({ t: 'set', path, value }));
		},
		write() {
			return Promise.reject(new Error('the baseline does not acknowledge writes'));
		},
		once() {
			return Promise.reject(new Error('the baseline does not read once'));
		},
		close() {
			ws.terminate();
		},
	};
}

/** Opens `count` connections, a few at a time. */
export async function connectMany(system: System, url: string, count: number): Promise<Connection[]> {
	const connections: Connection[] = [];
	for (let start = 0; start < count; start += 50) {
		connections.push(...(await Promise.all(Array.from({ length: Math.min(50, count - start) }, () => connect(system, url)))));
	}
	return connections;
}
