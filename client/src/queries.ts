import { MessageType, SocketDBError, type ClientMessage, type QuerySpec, type ServerMessage } from '@socketdb/core';
import { CHILD_EVENTS, QueryWindow, type ChildEventCall } from './child-events';
import type { QueryListener, QueryRuntime } from './query';
import type { ClientErrorEvent, Unsubscriber } from './types';

type QueryResult = Extract<ServerMessage, { type: typeof MessageType.QUERY_RESULT }>;
type QueryChanges = Extract<ServerMessage, { type: typeof MessageType.QUERY_CHANGES }>;

/** One query the server evaluates for this client; listeners of the same path and query share it. */
type LiveQuery = { readonly id: number; readonly name: string; readonly path: string; readonly spec: QuerySpec; readonly keysOnly: boolean; window: QueryWindow; toldKeys?: string; readonly listeners: Set<QueryListener>; refused: boolean };

/**
 * The client's live queries: one server query per (path, query) however many listeners it has,
 * subscribed again after every handshake. Results and changes update the query's window, whose
 * child events and entries go to its listeners.
 */
export class ClientQueries implements QueryRuntime {
	readonly #byName = new Map<string, LiveQuery>();
	readonly #byId = new Map<number, LiveQuery>();
	#nextId = 1;

	readonly #send: (message: ClientMessage) => void;
	readonly #reportError: (event: ClientErrorEvent) => void;

	constructor(
		send: (message: ClientMessage) => void,
		reportError: (event: ClientErrorEvent) => void,
	) {
		this.#send = send;
		this.#reportError = reportError;
	}

	listenQuery(path: string, spec: QuerySpec, listener: QueryListener): Unsubscriber {
		if (listener.kind === 'child' && !CHILD_EVENTS.includes(listener.event)) throw new SocketDBError('INVALID_QUERY', `a child event is one of ${CHILD_EVENTS.join(', ')}; "${String(listener.event)}" is not`);
		// Keys only is a query of its own: the server sends its children's sort values, not the children.
		const keysOnly = listener.kind === 'keys';
		const name = `${path}\n${JSON.stringify(spec)}${keysOnly ? '\nkeys' : ''}`;
		let query = this.#byName.get(name);
		if (query === undefined) {
			const window = new QueryWindow(keysOnly && spec.orderBy !== 'key' ? { ...spec, orderBy: 'value' } : spec);
			query = { id: this.#nextId++, name, path, spec, keysOnly, window, listeners: new Set(), refused: false };
			this.#byName.set(name, query);
			this.#byId.set(query.id, query);
			this.#subscribe(query);
		}
		const live = query;
		live.listeners.add(listener);
		// A query already loaded tells a new listener what it holds.
		if (live.window.loaded) queueMicrotask(() => this.#greet(live, listener));
		let active = true;
		return () => {
			if (!active) return;
			active = false;
			this.#remove(live, listener);
		};
	}

	#greet(query: LiveQuery, listener: QueryListener): void {
		if (!query.listeners.has(listener)) return;
		if (listener.kind !== 'child') this.#tellResult(query, listener);
		else if (listener.event === 'added') for (const call of query.window.currentAdded()) listener.callback(call.entry, call.previousKey);
	}

	#remove(query: LiveQuery, listener: QueryListener): void {
		if (!query.listeners.delete(listener) || query.listeners.size > 0) return;
		this.#byName.delete(query.name);
		this.#byId.delete(query.id);
		if (!query.refused) this.#send({ type: MessageType.QUERY_UNSUBSCRIBE, id: query.id });
	}

	#subscribe(query: LiveQuery): void {
		this.#send(query.keysOnly ? { type: MessageType.QUERY_SUBSCRIBE, id: query.id, path: query.path, query: query.spec, keys: true } : { type: MessageType.QUERY_SUBSCRIBE, id: query.id, path: query.path, query: query.spec });
	}

	/** After every handshake: the server holds no queries of a new connection. */
	resubscribeAll(): void {
		for (const query of this.#byId.values()) if (!query.refused) this.#subscribe(query);
	}

	received(message: QueryResult | QueryChanges): void {
		const query = this.#byId.get(message.id);
		if (query === undefined) return;
		if (message.type === MessageType.QUERY_CHANGES) return this.#tell(query, query.window.apply(message.changes), true);
		if ('refused' in message) {
			query.refused = true;
			return this.#reportError({ code: message.refused.code, message: message.refused.message, path: query.path });
		}
		const first = !query.window.loaded;
		const calls = query.window.replace(message.entries);
		// The first result is news even when empty; a later one (after a reconnect) only when it differs.
		this.#tell(query, calls, first || calls.length > 0);
	}

	/** Child events first, in their order (removed, added, moved, changed), then the whole result. */
	#tell(query: LiveQuery, calls: readonly ChildEventCall[], changed: boolean): void {
		const listeners = [...query.listeners];
		for (const call of calls) {
			for (const listener of listeners) {
				if (listener.kind === 'child' && listener.event === call.event && query.listeners.has(listener)) listener.callback(call.entry, call.previousKey);
			}
		}
		if (!changed || (query.keysOnly && !this.#keysChanged(query))) return;
		for (const listener of listeners) if (listener.kind !== 'child' && query.listeners.has(listener)) this.#tellResult(query, listener);
	}

	/** Whether the keys (or their order) differ from those last told: a sort value can change and move nothing. */
	#keysChanged(query: LiveQuery): boolean {
		const keys = query.window.entries.map((entry) => entry.key).join('/');
		if (keys === query.toldKeys) return false;
		query.toldKeys = keys;
		return true;
	}

	#tellResult(query: LiveQuery, listener: Exclude<QueryListener, { kind: 'child' }>): void {
		if (listener.kind === 'keys') return listener.callback(query.window.entries.map((entry) => entry.key));
		if (listener.once) this.#remove(query, listener);
		listener.callback([...query.window.entries]);
	}
}
