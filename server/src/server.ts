import {
	assertPath,
	cloneNode,
	createStore,
	encodeMessage,
	HookPipeline,
	MessageType,
	nodeify,
	normalizePath,
	storeKeys,
	SocketDBError,
	toError,
	validateJson,
	validateNodeDiff,
	WriteOutcome,
	type ConnectionStats,
	type Json,
	type NodeDiff,
} from '@socketdb/core';
import { callHook, type HookHost } from './call-hook';
import { ClientConnection } from './connection';
import { ConnectionCounts } from './connection-stats';
import { FanOut } from './fanout';
import { QueryEngine } from './query-subscriptions';
import { KeepAliveTimer } from './keep-alive';
import { resolveLimits } from './limits';
import type { ServerRuntime } from './runtime';
import { ReplicatedLog } from './replicated-log';
import { originCheck } from './transport/allowed-origins';
import { createWebsocketServer } from './transport/websocket-server';
import type { Client, ErrorSource, ServerHooks, SessionContext, SocketDBServerDataAPI, SocketDBServerOptions } from './types';
import { SERVER, WritePath } from './write-path';
import { TransactionTurns } from './transaction-turns';
import { WriteSessions } from './write-sessions';

/** How long `close()` waits for clients to finish the closing handshake before cutting them off. */
const CLOSE_GRACE_MS = 2_000;
/** How often congested connections are checked for having caught up. */
const CONGESTION_CHECK_MS = 25;

/** Open connections (see `ConnectionStats`) and `revision`: the last change this process applied. */
export type ServerStats = ConnectionStats & { revision: number };

export type SocketDBServerAPI<Schema extends Json = Json> = SocketDBServerDataAPI<Schema> & {
	/**
	 * Starts accepting connections on `port` (and `host`, all interfaces by default).
	 * `callback` runs after the `server:init` hooks.
	 */
	listen: (port?: number, callback?: () => void, host?: string) => void;
	/** Registers a hook; returns the function that removes it. */
	intercept: <Name extends keyof ServerHooks<Schema>>(hook: Name, callback: NonNullable<ServerHooks<Schema>[Name]>) => () => void;
	/** The connected client with this id, or the first whose context matches `filter`; `null` when none. */
	getClient: (id: string | ((context: SessionContext) => boolean)) => Client | null;
	/** Every connected client, or those whose context matches `filter`. */
	getClients: (filter?: (context: SessionContext) => boolean) => Client[];
	/** Stops listening, says goodbye to and closes every connection, and flushes the store. */
	close: () => Promise<void>;
	/**
	 * Sends `data` (any JSON value) to every open client, or to those `filter` accepts; it
	 * arrives at each client's `'client:message'` hook. Encoded once for all.
	 */
	broadcast: (data: unknown, filter?: (client: Client) => boolean) => void;
	/** Open connections: in all, by the version their clients reported (`'unknown'` without one), and by route (with `routeTracking`); and `revision`, the last change this process applied. */
	stats: () => ServerStats;
	/** The bound port and host once listening (useful after `listen(0)`). */
	address: () => { port: number; host: string } | null;
};

/**
 * A SocketDB server.
 *
 * @example
 * const server = SocketDBServer();
 * server.listen(8080, () => console.log('listening'));
 */
export function SocketDBServer<Schema extends Json = Json>(options: SocketDBServerOptions<Schema> = {}): SocketDBServerAPI<Schema> {
	const {
		store = createStore(),
		updateInterval = 50,
		plugins = [],
		keepAliveInterval = 30_000,
		onError = defaultOnError,
	} = options;
	const limits = resolveLimits(options.limits);
	const socketServer = options.socketServer ?? createWebsocketServer({ maxPayload: limits.maxFrameBytes });
	if (options.allowedOrigins !== undefined) {
		if (socketServer.restrictOrigins === undefined) throw new TypeError('this socketServer cannot check origins: give allowedOrigins to the transport instead');
		socketServer.restrictOrigins(originCheck(options.allowedOrigins));
	}
	if (!(updateInterval >= 0)) throw new TypeError(`updateInterval must be 0 or more, got ${String(updateInterval)}`);

	const hooks = new HookPipeline<ServerHooks<Schema>>();
	hooks.registerPlugins(plugins);
	const report = (error: Error, source: ErrorSource) => {
		try {
			onError(error, source);
		} catch (failure) {
			defaultOnError(toError(failure), {});
		}
	};

	const api: SocketDBServerDataAPI = {
		get(path) {
			const node = store.get(normalizePath(path));
			return node === null ? nodeify(null) : cloneNode(node);
		},
		update: (data) => serverWrite(() => {
			const serverValues = validateNodeDiff(data, { maxDepth: Infinity, maxKeys: Infinity }, '', true);
			return writePath.update(cloneNode(data as NodeDiff), SERVER, undefined, undefined, serverValues);
		}),
		delete: (path) => serverWrite(() => {
			assertPath(path);
			return writePath.delete(path, SERVER);
		}),
	};

	const fanout = new FanOut(updateInterval);
	const queries = new QueryEngine(store, updateInterval);
	fanout.observer = queries;
	const counts = new ConnectionCounts(updateInterval);
	const hookHost: HookHost = { hooks, api, report };
	const writePath = new WritePath(store, fanout, hookHost);
	const sessions = new WriteSessions({ ttlMs: 5 * 60_000, maxSessions: 100_000, maxRefusals: 10_000 });
	const { replication } = options;
	/** While the process catches up with the shared log (or, on its own, marks its store as in use), handshakes wait for it. */
	let starting: Promise<void> | undefined;
	const log =
		replication === undefined
			? undefined
			: new ReplicatedLog(replication, {
					position: () => writePath.storedPosition,
					empty: () => storeKeys(store, '').length === 0,
					setDatabase: (id) => writePath.setDatabase(id),
					applyLogged: (entry, writer) => writePath.applyLogged(entry, writer),
					skip: (entry) => writePath.skip(entry),
					load: (root, position) => writePath.load(root, position),
					snapshot: () => ({ root: store.get('') ?? { value: {} }, position: writePath.position }),
					othersChanged: (stats) => counts.setOthers(stats),
					report: (error) => report(error, {}),
					fail: (error) => report(error, { fatal: true }),
				});
	if (log !== undefined) {
		writePath.replicate(log);
		counts.onLocalChange = (local) => replication!.publishStats(local);
	} else {
		// On its own: clients are welcomed once the store knows that a process runs on it (see WritePath.open).
		const opening = writePath.open();
		if (opening !== undefined) beforeServing(opening);
	}
	/** Handshakes wait for `work` to finish, then `done` runs; a failure of `work` is fatal. */
	function beforeServing(work: Promise<void>, done?: () => void): void {
		starting = work.then(
			() => {
				starting = undefined;
				done?.();
			},
			(error: unknown) => {
				report(toError(error), { fatal: true });
				throw error;
			},
		);
		starting.catch(() => undefined);
	}
	const sessionSweep = setInterval(() => sessions.sweep(), 60_000);
	sessionSweep.unref?.();

	let closing: Promise<void> | undefined;
	/** Open connections by id; the rest (in their handshake, or holding an id taken since) are unlisted. */
	const clients = new Map<string, ClientConnection>();
	const unlisted = new Set<ClientConnection>();
	// One timer for every congested connection, running only while there are some.
	const congested = new Set<{ relieve(now: number): boolean }>();
	let congestionTimer: ReturnType<typeof setInterval> | undefined;
	const checkCongestion = () => {
		const now = Date.now();
		for (const connection of congested) if (connection.relieve(now)) congested.delete(connection);
		if (congested.size === 0) {
			clearInterval(congestionTimer);
			congestionTimer = undefined;
		}
	};

	const runtime: ServerRuntime = {
		store,
		hooks,
		api,
		fanout,
		queries,
		writePath,
		sessions,
		turns: new TransactionTurns(),
		limits,
		counts,
		tracking: { routes: options.routeTracking === true, ips: options.ipTracking === true, trustProxy: options.trustProxy === true },
		report,
		log,
		get starting() {
			return starting;
		},
		openConnections: () => clients.size,
		connectionOpened: (opened) => {
			const connection = opened as ClientConnection;
			const previous = clients.get(connection.id);
			if (previous !== undefined) unlisted.add(previous);
			unlisted.delete(connection);
			clients.set(connection.id, connection);
			counts.add(connection);
		},
		watchCongestion: (connection) => {
			congested.add(connection);
			congestionTimer ??= setInterval(checkCongestion, CONGESTION_CHECK_MS);
			congestionTimer.unref?.();
		},
		connectionClosed: (closed) => {
			const connection = closed as ClientConnection;
			if (connection.opened) counts.remove(connection);
			unlisted.delete(connection);
			if (clients.get(connection.id) === connection) clients.delete(connection.id);
		},
	};

	const keepAlive =
		keepAliveInterval > 0 && Number.isFinite(keepAliveInterval)
			? new KeepAliveTimer(keepAliveInterval, () => {
					for (const connection of clients.values()) connection.keepAliveCheck();
				})
			: undefined;

	socketServer.onConnection((socket, id, context) => {
		if (closing !== undefined) return socket.close(1001, 'server-shutdown');
		unlisted.add(new ClientConnection(socket, id, context, runtime));
	});

	/** Runs a server-side write and hands back its awaitable outcome. */
	function serverWrite(run: () => void | Promise<unknown>): WriteOutcome {
		const outcome = new WriteOutcome();
		const fail = (error: unknown) => {
			const failure = error instanceof SocketDBError ? error : new SocketDBError('INTERNAL_ERROR', String(error));
			// Hook refusals and store failures were reported where they happened; input errors were not.
			if (!outcome.reject(failure) && failure.code.startsWith('INVALID')) report(failure, { client: null });
		};
		try {
			const applied = run();
			const durable = () => writePath.afterDurable((error) => (error ? fail(error) : outcome.resolve()));
			if (applied === undefined) durable();
			else applied.then(durable, fail);
		} catch (error) {
			fail(error);
		}
		return outcome;
	}

	async function close(): Promise<void> {
		keepAlive?.stop();
		clearInterval(sessionSweep);
		clearInterval(congestionTimer);
		fanout.flush();
		queries.flush();
		const open = [...clients.values(), ...unlisted];
		for (const connection of open) connection.goodbye({ reason: 'server-shutdown' });
		await waitForClose(open, CLOSE_GRACE_MS);
		fanout.stop();
		queries.stop();
		counts.stop();
		await replication?.stop();
		writePath.close();
		await store.flush?.();
		// Last, so a client that comes back meanwhile is told 'server-shutdown' rather than left
		// waiting on an HTTP server whose WebSocket handler is gone.
		await socketServer.close?.();
	}

	function findClients(filter?: (context: SessionContext) => boolean): Client[] {
		const found: Client[] = [];
		for (const connection of clients.values()) {
			if (connection.state === 'open' && (filter === undefined || filter(connection.context))) found.push(connection.client);
		}
		return found;
	}

	return {
		...(api as SocketDBServerDataAPI<Schema>),
		listen(port = 8080, callback, host) {
			const serve = () =>
				socketServer.listen(
					port,
					() => {
						const done = () => callback?.();
						callHook(hookHost, 'server:init', {}, null, done, done);
					},
					host,
				);
			if (log === undefined) return serve();
			// One of several processes: caught up with the shared log before it serves.
			beforeServing(replication!.start(log), serve);
		},
		intercept: (hook, callback) => hooks.register(hook, callback),
		getClient(id) {
			if (typeof id === 'string') {
				const connection = clients.get(id);
				return connection?.state === 'open' ? connection.client : null;
			}
			return findClients(id)[0] ?? null;
		},
		getClients: findClients,
		close: () => (closing ??= close()),
		broadcast(data, filter) {
			validateJson(data, { maxDepth: Infinity, maxKeys: Infinity });
			const message = encodeMessage({ type: MessageType.MESSAGE, data });
			for (const connection of clients.values()) {
				if (connection.state === 'open' && (filter === undefined || filter(connection.client))) connection.enqueue(message);
			}
		},
		stats: () => ({ ...counts.snapshot(), revision: writePath.revision }),
		address: () => socketServer.address?.() ?? null,
	};
}

function waitForClose(connections: ClientConnection[], timeoutMs: number): Promise<void> {
	const pending = connections.filter((connection) => connection.state !== 'closed');
	if (pending.length === 0) return Promise.resolve();
	return new Promise((resolve) => {
		const timer = setTimeout(resolve, timeoutMs);
		let remaining = pending.length;
		for (const connection of pending) {
			connection.socket.onClose(() => {
				if (--remaining === 0) {
					clearTimeout(timer);
					resolve();
				}
			});
		}
	});
}

function defaultOnError(error: Error, source: ErrorSource): void {
	const where = [source.hook && `hook ${source.hook}`, source.client && `client ${source.client.id}`].filter(Boolean).join(', ');
	console.error(`[socketdb] ${where ? `${where}: ` : ''}${error.message}`);
}
