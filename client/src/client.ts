import { encodeClientMessage, HookPipeline, MessageType, segmentsOf, SocketDBError, toSocketDBError, type ClientInfo, type Json, type Meta, type NodeDiff, type ServerMessage } from '@socketdb/core';
import { createClientWrites } from './client-writes';
import { ConnectionStateListeners } from './connection-state';
import type { ConsoleReport } from './console-report';
import { DisconnectRegistrations } from './disconnect-registrations';
import { keysOfNode, Listeners, UNAVAILABLE, type ListenerSource } from './listeners';
import { Mirror } from './mirror';
import { createMirrorUpdates } from './mirror-updates';
import { OptimisticView } from './optimistic-view';
import { Outbox } from './outbox';
import type { Restored } from './persistence/persistence';
import type { PersistedState } from './persistence/persisted-state';
import { isLocalWrite } from './local-write';
import { PushIdGenerator } from './push-id';
import { ClientQueries } from './queries';
import { clientApi, type ReferenceRuntime } from './reference';
import { createShownWrites } from './shown-writes';
import { browserRoute, followBrowserRoute } from './browser-route';
import { ClientSession } from './session';
import { SnapshotAssembly } from './snapshot-assembly';
import { StatsSubscription } from './stats-subscription';
import { ServerSubscriptions } from './subscriptions';
import { createWebsocketClient } from './transport/websocket-client';
import type { ClientErrorEvent, ClientHooks, SocketDBClientAPI, SocketDBClientOptions, Unsubscriber } from './types';

/** How long a write the servers answered `UNAVAILABLE` waits before it is sent again. */
const UNAVAILABLE_RETRY_MS = 1_000;

/**
 * A SocketDB client, in the browser or in Node.
 *
 * @example
 * const db = SocketDBClient<Schema>();
 * db.connect('ws://localhost:8080');
 * db.get('users').get('42').on((user) => console.log(user));
 * await db.get('users').get('42').set({ name: 'Ada' });
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SocketDB's contract: an untyped client takes any schema
export function SocketDBClient<Schema extends Json = any>(options: SocketDBClientOptions = {}): SocketDBClientAPI<Schema> {
	const { store: externalStore, socketClient = createWebsocketClient(), plugins = [], version, url: defaultUrl, routeTracking = false, optimistic = true, persistence, name = 'default' } = options;
	/** The route reported to the server: in a browser with `routeTracking`, or set by `trackRoute`. */
	let route = routeTracking ? browserRoute() : undefined;

	const hooks = new HookPipeline<ClientHooks>();
	hooks.registerPlugins(plugins);
	const mirror = new Mirror();
	const assembly = new SnapshotAssembly();
	/** Where errors go without a `client:error` hook; loaded with the first (a chunk of its own in the browser bundle). */
	let consoleReport: Promise<ConsoleReport> | undefined;
	// Loaded only when asked for: the browser build keeps it in a chunk of its own.
	/** With persistence, the store once it is open (and what the page before left is back); until then writes are not stored. */
	let kept: PersistedState | undefined;
	const outbox = new Outbox(persistence === 'indexeddb' ? { ready: (entry, nextSeq) => kept?.writeReady(session.id, nextSeq, entry.message), settled: (seq) => kept?.writeSettled(seq) } : undefined);
	// Loaded only when asked for: the browser build keeps it in a chunk of its own. Writes made
	// before it opened are stored once it has (with the numbers the restore gave them).
	const keeping =
		persistence === 'indexeddb'
			? import('./persistence/persisted-state')
					.then(({ openPersisted }) => openPersisted(name, (restored) => restore(restored)))
					.then(
						(state) => {
							kept = state;
							outbox.announce();
						},
						(error: unknown) => console.warn(`[socketdb] offline persistence could not be loaded (${String(error)}); going on in memory`),
					)
			: undefined;

	const source: ListenerSource = {
		nodeFor(path) {
			if (subscriptions.coveringValue(path)?.loaded !== true) return UNAVAILABLE;
			return view.nodeAt(segmentsOf(path));
		},
		keysFor(path) {
			const covering = subscriptions.coveringValue(path);
			if (covering !== undefined) return covering.loaded ? keysOfNode(view.nodeAt(segmentsOf(path))) : UNAVAILABLE;
			return subscriptions.keysOf(path) ?? UNAVAILABLE;
		},
		dataOf: (node) => mirror.dataOf(node),
		metaOf: (node) => mirror.metaOf(node),
	};
	const listeners = new Listeners(source);
	const { applyOps, writeThrough } = createMirrorUpdates(mirror, listeners, externalStore, (event) => reportError(event));

	const session = new ClientSession(
		socketClient,
		{
			ready(first) {
				disconnects.rearm();
				outbox.allowCombining(session.combine);
				flushOutbox();
				subscriptions.resubscribeAll(session.database);
				queries.resubscribeAll();
				stats.resubscribe();
				void hooks.call(first ? 'client:firstConnect' : 'client:reconnect', undefined, undefined).catch(reportHookFailure);
			},
			message: receive,
			lost() {
				outbox.connectionLost();
				void hooks.call('client:disconnect', undefined, undefined).catch(reportHookFailure);
			},
			malformed(error) {
				reportError({ code: 'INVALID_FRAME', message: `the server sent an unreadable frame: ${error.message}` });
			},
			stateChanged: () => connectionStates.update(),
		},
		() => ({ acked: outbox.settledThrough(), info: clientInfo() }),
	);
	const stats = new StatsSubscription((message) => session.send(message));
	const connectionStates = new ConnectionStateListeners(() => session.connectionState);

	function clientInfo(): ClientInfo {
		const info: ClientInfo = {};
		if (version !== undefined) info.version = version;
		if (route !== undefined) info.route = route;
		return info;
	}

	function trackRoute(next: string): void {
		if (typeof next !== 'string') throw new TypeError('a route is a string, such as "/users/42"');
		if (next === route) return;
		route = next;
		session.send({ type: MessageType.ROUTE, route: next });
	}
	if (routeTracking) followBrowserRoute(trackRoute);
	const subscriptions = new ServerSubscriptions(listeners, mirror, assembly, (message) => session.send(message));
	/** What listeners see: the mirror with this client's unconfirmed writes on top. */
	const view = new OptimisticView(mirror, subscriptions, optimistic ? () => outbox.unanswered() : () => []);
	const shown = createShownWrites(view, listeners, subscriptions, optimistic);
	const queries = new ClientQueries((message) => session.send(message), reportError);

	/** What the page before left (persistence): its write session and unanswered writes go on, shown as this client's own. */
	function restore({ writes }: Restored): void {
		if (writes === undefined) return;
		// Writes made before the store opened are numbered again after the restored ones: out of the view meanwhile.
		for (const entry of outbox.unanswered()) if (isLocalWrite(entry.message)) shown.withdraw(view.refused(entry.seq));
		session.id = writes.session;
		outbox.restore(writes.pending, writes.nextSeq);
		for (const entry of outbox.unanswered()) if (isLocalWrite(entry.message)) shown.show(entry.seq, entry.message);
	}

	function flushOutbox(): void {
		if (session.state !== 'ready') return;
		outbox.flush((entry) => {
			// Not kept on the entry: a write is sent again only after a reconnect, and bytes held until
			// the answer would make every write in flight larger.
			const bytes = encodeClientMessage(entry.message);
			if (bytes.byteLength <= session.maxFrameBytes) {
				session.sendEncoded(bytes);
				return true;
			}
			const error = new SocketDBError('PAYLOAD_TOO_LARGE', `the write takes ${bytes.byteLength} bytes; the server accepts frames of at most ${session.maxFrameBytes}`);
			failWrite(entry.seq, error);
			return false;
		});
	}

	/** A write failed, with the writes it carried: they leave the view, and a failure nobody observes is reported. */
	function failWrite(seq: number, error: SocketDBError): void {
		const { settled, unobserved } = outbox.fail(seq, error);
		for (const each of settled) shown.withdraw(view.refused(each));
		for (let count = 0; count < unobserved; count++) reportError({ code: error.code, message: error.message, details: error.details });
	}

	let retryTimer: ReturnType<typeof setTimeout> | undefined;
	/** Writes are being answered `UNAVAILABLE` (reported once, until one is acknowledged again). */
	let unavailable = false;
	/** Sends writes the servers could not take again, a second later (once per second at most). */
	function retryLater(): void {
		if (retryTimer !== undefined) return;
		retryTimer = setTimeout(() => {
			retryTimer = undefined;
			flushOutbox();
		}, UNAVAILABLE_RETRY_MS);
		(retryTimer as { unref?: () => void }).unref?.();
	}

	function reportError(event: ClientErrorEvent): void {
		if (hooks.has('client:error')) void hooks.call('client:error', event, undefined).catch(reportHookFailure);
		else void (consoleReport ??= import('./console-report').then(({ ConsoleReport }) => new ConsoleReport())).then((report) => report.report(event));
	}

	function reportHookFailure(error: unknown): void {
		console.warn('[socketdb] a client hook failed:', error);
	}

	function receive(message: ServerMessage): void {
		switch (message.type) {
			case MessageType.ACK:
				unavailable = false;
				for (const seq of outbox.acknowledge(message.seq, 'value' in message ? { value: message.value } : undefined)) shown.withdraw(view.acknowledged(seq, message.rev, subscriptions.database));
				return flushOutbox();
			case MessageType.REJECT: {
				// The servers could not log it in time: kept, and sent again a little later. Reported
				// once per outage (not once per write), so an application can show it.
				if (message.code === 'UNAVAILABLE' && outbox.retry(message.seq)) {
					if (!unavailable) reportError({ code: 'UNAVAILABLE', message: `${message.message}; the write is kept and sent again` });
					unavailable = true;
					return retryLater();
				}
				failWrite(message.seq, new SocketDBError(toCode(message.code), message.message, message.details));
				return flushOutbox();
			}
			case MessageType.SNAPSHOT:
				if (!subscriptions.valueStarted(message.path, message.id)) return;
				if (message.more === true) return assembly.start(message.path, message.node, message.rev);
				assembly.drop(message.path);
				return loadValue(message.path, message.node, message.rev);
			case MessageType.SNAPSHOT_PART: {
				const path = subscriptions.pathOf(message.id);
				if (path !== undefined) assembly.addSlice(path, message.node);
				return;
			}
			case MessageType.SNAPSHOT_END: {
				const path = subscriptions.pathOf(message.id);
				const complete = path === undefined ? undefined : assembly.finish(path);
				if (complete !== undefined) loadValue(path!, complete.node, complete.rev);
				return;
			}
			case MessageType.SNAPSHOT_ABORT:
				if (!subscriptions.valueRefused(message.path)) return;
				shown.settle();
				return reportError({ code: message.code, message: message.message });
			case MessageType.DATA: {
				const path = subscriptions.pathOf(message.id);
				if (path === undefined) return;
				if (assembly.has(path)) {
					for (const op of message.ops) assembly.apply(path, op);
					return assembly.reached(path, message.rev);
				}
				remember(path);
				if (message.ops.length <= 1) {
					// One change: the writes it brings leave the view first, and it is built once.
					subscriptions.valueReached(path, message.rev);
					return shown.settle(() => applyOps(path, message.ops, message.joined));
				}
				// Several: listeners see each, with the writes still shown on top of the older ones.
				applyOps(path, message.ops, message.joined);
				subscriptions.valueReached(path, message.rev);
				return shown.settle();
			}
			case MessageType.DELTA:
				// What changed since the revision a resubscription named. A subscription made again
				// since then holds no value to apply it to: its SNAPSHOT follows.
				if (!subscriptions.isLoaded(message.path) || !subscriptions.valueStarted(message.path, message.id)) return;
				assembly.drop(message.path);
				// Loaded first: writes whose change the delta brings leave the view before listeners look.
				subscriptions.valueLoaded(message.path, message.rev);
				remember(message.path);
				return shown.settle(() => applyOps(message.path, message.ops, 'all'));
			case MessageType.KEYS:
				// Removals are announced before additions, so a key deleted and re-added is reported again.
				if (!subscriptions.applyKeys(message.path, { removeAll: message.reset, removed: message.removed })) return;
				listeners.refreshKeys(message.path);
				subscriptions.applyKeys(message.path, { added: message.added });
				return listeners.refreshKeys(message.path);
			case MessageType.KEYS_SNAPSHOT:
				// The full list replaces what the client holds; listeners keep the keys they already announced.
				if (!subscriptions.applyKeys(message.path, { removeAll: true })) return;
				subscriptions.applyKeys(message.path, { added: message.keys });
				return listeners.refreshKeys(message.path);
			case MessageType.PING:
				return heartbeat(message.payload);
			case MessageType.GOODBYE: {
				void hooks.call('client:serverDisconnectMessage', message.goodbye, undefined).catch(reportHookFailure);
				const { retryAfter } = message.goodbye as { retryAfter?: unknown };
				// Honoured up to a minute: a server cannot keep its clients away for longer.
				if (typeof retryAfter === 'number' && retryAfter > 0) socketClient.holdOff?.(Math.min(retryAfter, 60_000));
				if ('reason' in message.goodbye && message.goodbye.reason === 'unsupported-protocol') {
					session.disconnect();
					const error = new SocketDBError('UNSUPPORTED_PROTOCOL', message.goodbye.message ?? 'the server does not speak this client protocol version');
					shown.withdraw(view.clear());
					for (const _ of outbox.failAll(error)) reportError({ code: error.code, message: error.message });
				}
				return;
			}
			case MessageType.ERROR:
				return reportError(message.path === undefined ? { code: message.code, message: message.message } : { code: message.code, message: message.message, path: message.path });
			case MessageType.MESSAGE:
				if (hooks.has('client:message')) void hooks.call('client:message', message.data, undefined).catch(reportHookFailure);
				return;
			case MessageType.STATS:
				return stats.received(message.stats);
			case MessageType.QUERY_RESULT:
			case MessageType.QUERY_CHANGES:
				return queries.received(message);
			case MessageType.WELCOME:
				return;
		}
	}

	/** The server's full copy of a subscribed path, as of revision `rev`, arrived: it replaces what the mirror holds there. */
	function loadValue(path: string, node: NodeDiff | null, rev: number): void {
		subscriptions.valueLoaded(path, rev);
		mirror.replace(path, node);
		writeThrough(path, node, true);
		shown.settle(() => listeners.refresh(path));
		remember(path);
	}

	/** With persistence: a subscribed path's value (the server's, without this client's unanswered writes) is stored a moment later. */
	function remember(path: string): void {
		kept?.valueChanged(path, () => {
			const node = mirror.nodeAt(segmentsOf(path));
			return node === undefined ? null : { data: mirror.dataOf(node), meta: mirror.metaOf(node) };
		});
	}

	function heartbeat(payload: Record<string, unknown>): void {
		const answer = (reply: Record<string, unknown> | void) => session.send({ type: MessageType.PONG, payload: reply ?? payload });
		if (!hooks.has('client:heartbeat')) return answer(payload);
		// A throwing heartbeat hook means "do not answer": the server then closes the connection.
		hooks.call('client:heartbeat', payload, undefined).then(answer, () => undefined);
	}

	function subscribeValue(path: string, callback: (data: unknown, meta?: Meta) => void, once: boolean): Unsubscriber {
		let active = true;
		const unsubscribe = () => {
			if (!active) return;
			active = false;
			listeners.remove(listener);
			if (!listeners.hasAt(path, 'value')) {
				subscriptions.valueListenerRemoved(path);
				shown.settle();
			}
		};
		const listener = listeners.addValue(path, once ? (data, meta) => (unsubscribe(), callback(data, meta)) : callback);
		subscriptions.valueListenerAdded(path);
		queueMicrotask(() => listeners.refreshOne(listener));
		// With persistence, the value the page before saw, until the server's arrives.
		if (!once) void keeping?.then(() => kept?.deliverCached(path, () => !active || subscriptions.coveringValue(path)?.loaded === true, (cached) => callback(cached.data, cached.meta)));
		return unsubscribe;
	}

	function subscribeEach(path: string, callback: (key: string) => void, whole?: (keys: string[]) => void): Unsubscriber {
		const listener = listeners.addEach(path, callback, whole);
		subscriptions.eachListenerAdded(path);
		queueMicrotask(() => listeners.refreshOne(listener));
		let active = true;
		return () => {
			if (!active) return;
			active = false;
			listeners.remove(listener);
			if (!listeners.hasAt(path, 'each')) subscriptions.eachListenerRemoved(path);
		};
	}

	// What the client shows at a path is the server's value there when it shows no write of its own and is up to date.
	const heldAt = (path: string) => optimistic && outbox.size === 1 && session.state === 'ready' && subscriptions.holdsCurrent(path) && view.nodeAt(segmentsOf(path));
	const { write, update, transactionWrite } = createClientWrites(outbox, hooks, flushOutbox, reportError, shown.show, heldAt);
	const cachedValue = (path: string) => {
		const node = source.nodeFor(path);
		return node === UNAVAILABLE ? undefined : mirror.dataOf(node);
	};
	const pushIds = new PushIdGenerator();
	/** With persistence, where `connect` asked to connect (undefined after `disconnect`). */
	let wanted: string | undefined;
	const disconnects = new DisconnectRegistrations(outbox, flushOutbox, reportError);
	const onDisconnect = (path: string) => ({
		set: (value: unknown, meta?: Meta) => disconnects.set(path, value, meta),
		update: (values: Record<string, unknown>, meta?: Meta) => disconnects.update(path, values, meta),
		delete: () => disconnects.delete(path),
		cancel: () => disconnects.cancel(path),
	});
	const runtime: ReferenceRuntime = { write, update, transaction: { cachedValue, transactionWrite }, onDisconnect, subscribeValue, subscribeEach, pushKey: () => pushIds.next(), query: queries };

	return clientApi<SocketDBClientAPI<Schema>>(runtime, {
		connect(url) {
			const target = url ?? defaultUrl ?? defaultServerUrl();
			if (keeping === undefined) return session.connect(target);
			// Nothing is sent before what the page before left is back.
			wanted = target;
			void keeping.then(() => wanted !== undefined && session.connect(wanted));
		},
		disconnect() {
			wanted = undefined;
			session.disconnect();
		},
		intercept: (hook, callback) => hooks.register(hook, callback),
		trackRoute,
		subscribeStats: (callback) => stats.add(callback),
		onConnectionState: (callback) => connectionStates.add(callback),
	});
}

function toCode(code: string): SocketDBError['code'] {
	return toSocketDBError({ code, message: code }, 'INTERNAL_ERROR').code;
}

function defaultServerUrl(): string {
	const location = (globalThis as { location?: { protocol: string; host: string } }).location;
	if (location?.host) return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
	return 'ws://localhost:8080';
}
