import { createServer, type Server } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { SocketDBClient, createWebsocketClient, type SocketDBClientAPI, type SocketDBClientOptions } from '@socketdb/client';
import { SocketDBError, type Json, type Meta, type SocketServer } from '@socketdb/core';
import { DEFAULT_LIMITS, SocketDBServer, answerUpgradeRequired, createWebsocketServer, type SessionContext, type SocketDBServerOptions, type WebsocketServerOptions } from '@socketdb/server';
import { createCrosswsServer } from '@socketdb/server/crossws';
import crosswsNode from 'crossws/adapters/node';

export type TestServer = {
	server: ReturnType<typeof SocketDBServer>;
	http: Server;
	url: string;
	port: number;
	/**
	 * What the server reported through `onError`. A test that reads this takes charge of them; for
	 * one that never does, a failure no client caused (anything but a refusal of a request: a
	 * thrown non-SocketDBError, an INTERNAL_ERROR) fails it at cleanup.
	 */
	errors: Error[];
	close(): Promise<void>;
};

const cleanups: (() => Promise<void> | void)[] = [];

/** A failure of the server itself rather than a refusal of what a client (or a hook on its behalf) asked. */
function isUnexpected(error: Error): boolean {
	return !(error instanceof SocketDBError) || error.code === 'INTERNAL_ERROR';
}

/** Runs every registered cleanup (servers, clients); call from afterEach. */
export async function cleanup(): Promise<void> {
	const pending = cleanups.splice(0).reverse();
	const failures: unknown[] = [];
	for (const fn of pending) {
		try {
			await fn();
		} catch (error) {
			failures.push(error);
		}
	}
	if (failures.length > 0) throw failures[0];
}

/**
 * The transport the integration tests run over: `ws` (the default) or, with
 * SOCKETDB_TRANSPORT=crossws, crossws's Node adapter (`npm test` runs them both ways).
 */
export const TRANSPORT = process.env['SOCKETDB_TRANSPORT'] === 'crossws' ? 'crossws' : 'ws';

/** `createCrosswsServer` mounted on `http` through crossws's Node adapter. */
function crosswsTransport(http: Server, { initializeSession, generateId, maxPayload, allowedOrigins }: WebsocketServerOptions): SocketServer<SessionContext> {
	const transport = createCrosswsServer({
		...(initializeSession === undefined ? {} : { initializeSession: ({ req }: { req: Request }) => initializeSession({ req: req as never }) as SessionContext }),
		...(generateId === undefined ? {} : { generateId }),
		...(allowedOrigins === undefined ? {} : { allowedOrigins }),
	});
	const adapter = crosswsNode({ hooks: transport.hooks, serverOptions: { maxPayload: maxPayload ?? DEFAULT_LIMITS.maxFrameBytes } });
	http.on('upgrade', (req, socket, head) => void adapter.handleUpgrade(req, socket, head));
	return transport;
}

/**
 * Starts a SocketDB server on 127.0.0.1 with a random port.
 * Errors reported to onError are collected in `errors` instead of being logged.
 */
export async function startServer(options: SocketDBServerOptions = {}, transport: WebsocketServerOptions = {}, port = 0): Promise<TestServer> {
	// Like an application's own HTTP server, it answers plain requests (a WebSocket upgrade that
	// arrives after the transport closed is one).
	const http = createServer((_req, res) => answerUpgradeRequired(res));
	await new Promise<void>((resolve, reject) => {
		http.once('error', reject);
		http.listen(port, '127.0.0.1', () => {
			http.off('error', reject);
			resolve();
		});
	});
	const errors: Error[] = [];
	let errorsRead = false;
	const server = SocketDBServer({
		updateInterval: 0,
		keepAliveInterval: 0,
		onError: (error) => errors.push(error),
		socketServer: TRANSPORT === 'crossws' ? crosswsTransport(http, transport) : createWebsocketServer({ server: http, ...transport }),
		...options,
	});
	await new Promise<void>((resolve) => server.listen(0, resolve));
	const actualPort = (http.address() as AddressInfo).port;
	let closed = false;
	const close = async () => {
		if (closed) return;
		closed = true;
		await server.close();
		await new Promise<void>((resolve) => http.close(() => resolve()));
	};
	cleanups.push(async () => {
		await close();
		const unexpected = errors.filter(isUnexpected);
		if (!errorsRead && unexpected.length > 0) throw new Error(`the server reported failures this test never looked at:\n${unexpected.map((error) => `  ${error.name}: ${error.message}`).join('\n')}`);
	});
	return {
		server,
		http,
		url: `ws://127.0.0.1:${actualPort}`,
		port: actualPort,
		get errors() {
			errorsRead = true;
			return errors;
		},
		close,
	};
}

/** A connected client (disconnected again at cleanup). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as SocketDBClient: tests of untyped clients write anything
export function connectClient<Schema extends Json = any>(url: string, options: SocketDBClientOptions = {}) {
	const client = SocketDBClient<Schema>({ socketClient: createWebsocketClient({ reconnectTimeout: 200 }), ...options });
	client.connect(url);
	cleanups.push(() => client.disconnect());
	return client;
}

/**
 * Listens on `port` (where a server was) and drops every connection at once, counting them: how
 * often a client tried to come back while nothing answers. Close it before a server takes the port.
 */
export async function startConnectionDropper(port: number): Promise<{ attempts: () => number; close: () => Promise<void> }> {
	let attempts = 0;
	const dropper = createNetServer((socket) => {
		attempts++;
		socket.destroy();
	});
	await new Promise<void>((listening) => dropper.listen(port, '127.0.0.1', listening));
	return { attempts: () => attempts, close: () => new Promise<void>((closed) => dropper.close(() => closed())) };
}

/** Resolves when `predicate` holds, polling; rejects after `timeout` ms with `message`. */
export async function waitFor(predicate: () => boolean, message = 'condition', timeout = 5_000): Promise<void> {
	const start = Date.now();
	while (!predicate()) {
		if (Date.now() - start > timeout) throw new Error(`timed out waiting for ${message}`);
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

/** Collects every value a reference's `on` delivers. */
export function record<T = unknown>(ref: { on: (cb: (data: T | null, meta?: Meta) => void) => () => void }) {
	const values: (T | null)[] = [];
	const metas: unknown[] = [];
	const stop = ref.on((value, meta) => {
		values.push(value);
		metas.push(meta);
	});
	cleanups.push(stop);
	return { values, metas, stop, last: () => values[values.length - 1] };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Deep equality of JSON data, ignoring key order and prototypes. */
export function sameJson(a: unknown, b: unknown): boolean {
	const plain = (value: unknown) => (value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown));
	return isDeepStrictEqual(plain(a), plain(b));
}

/**
 * Proves that everything the server sent `db` before a call has arrived: writes a fresh
 * value to a path `db` watches and waits for the server's acknowledgement, which the server
 * sends after everything it sent `db` before (changes it made before included, with the
 * tests' `updateInterval: 0`), then lets a read make one more round trip (`settle`), so that
 * stray callbacks would have run. Use it before asserting that something did NOT happen. (The
 * value shows at `db` at once: its writes are optimistic.)
 */
export function barrier(db: SocketDBClientAPI, path = '__barrier') {
	const seen = record<number>(db.get(path));
	let next = 0;
	return async () => {
		const value = ++next;
		await db.get(path).set(value);
		await waitFor(() => seen.values.includes(value), `barrier ${value} at ${path}`);
		await settle(db);
	};
}

let settleMarkers = 0;

/**
 * Resolves once the server answered a read `db` asked for now: the server handled what `db` sent
 * before, its answer came after what it sent `db` before, and the callbacks those frames caused
 * have run (the answer needs a round trip through the network, so timers and microtasks queued
 * before it ran first). Use it, not a sleep, before asserting that something did NOT happen.
 */
export async function settle(db: SocketDBClientAPI): Promise<void> {
	await new Promise((resolve) => db.get(`__settle/${++settleMarkers}`).once(resolve));
}
