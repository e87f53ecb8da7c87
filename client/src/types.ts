import type { TransactionOptions, TransactionResult } from './transaction';
import type { ChildEvent, QueryEntry } from './child-events';
import type { Query } from './query';
import type { ConnectionStats, GoodbyeMessage, Hook, Json, LeafValue, Meta, Plugin, ServerValue, SocketClient, Store } from '@socketdb/core';

/** Any value a path can hold. */
export type SchemaDefinition = Json | LeafValue;

/**
 * What a write takes for a value of type `Schema`: the value, where any leaf may instead be a
 * server value (`increment()`, `serverTimestamp()`) that the server fills in.
 */
export type WriteValue<Schema> = Schema extends Json ? { [Key in keyof Schema]: WriteValue<Schema[Key]> } : Schema | ServerValue;

/** Removes a subscription. */
export type Unsubscriber = () => void;

type ChildKey<Schema> = Schema extends Json ? Extract<keyof Schema, string | number> : never;
type ChildSchema<Schema, Key> = Schema extends Json ? (Key extends keyof Schema ? Schema[Key] : never) : never;
/** The type of the children of a record (`{ [key: string]: T }` gives `T`); `never` for anything else. */
type RecordChild<Schema> = Schema extends Json ? (string extends keyof Schema ? Schema[string] : never) : never;

/**
 * A reference to one path. Typed by the schema: `get` accepts only known keys,
 * `set` only values of the path's type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SocketDB's contract: an untyped reference takes any schema
export type ChainReference<Schema extends SchemaDefinition = any> = {
	/**
	 * The path this reference points to: keys joined by `/`, `''` at the root. Read-only.
	 * @example db.get('users').get('42').path // 'users/42'
	 */
	readonly path: string;
	/**
	 * The last key of the path, `null` at the root. Read-only.
	 * @example db.get('users').get('42').key // '42'
	 */
	readonly key: string | null;
	/**
	 * A reference to a child path. A key may contain `/` to go several levels down.
	 * @throws SocketDBError `INVALID_PATH` for `*` and reserved keys.
	 * @example db.get('users').get('42').get('name')
	 */
	get<Key extends ChildKey<Schema>>(key: Key): ChainReference<ChildSchema<Schema, Key>>;
	/**
	 * Deep-merges `value` into the tree at this path: objects merge, leaves and arrays
	 * replace, and an empty object with `meta` sets meta only. Returns the reference, which
	 * is also awaitable: `await ref.set(v)` resolves once the server applied the write and
	 * rejects with the server's reason (a `SocketDBError`) when it refused it. Writes made
	 * while offline wait and are sent, in order, once connected.
	 * @example await db.get('users').get('42').set({ name: 'Ada' }, { updated: Date.now() });
	 */
	set: (value: WriteValue<Schema>, meta?: Meta) => WriteReference<Schema>;
	/**
	 * Removes this path and everything below it; its subscribers receive `null`. Awaitable like `set`.
	 * @example await db.get('users').get('42').delete();
	 */
	delete: () => WriteReference<Schema>;
	/**
	 * Writes several paths below this reference as one change: keys are relative paths (they may
	 * hold `/`), each value is written as `set` writes it (objects merge), and `null` deletes
	 * that path. All or nothing: the server applies every path with one revision, or none when a
	 * hook refuses any of them (the promise then rejects with that hook's reason, `VETOED` by
	 * default). `meta` goes with every value written. Two keys where one lies at or below the
	 * other are refused (`INVALID_PATH`).
	 * @example await db.get('users').get('42').update({ name: 'Ada', 'address/city': 'London', nickname: null });
	 */
	update: (values: Record<string, unknown>, meta?: Meta) => Promise<void>;
	/**
	 * Compare-and-set with retries. `update` runs on the value this client holds here (a copy;
	 * `null` when it holds none, e.g. nothing subscribes to it) and returns the new value, `null`
	 * to delete it, or `undefined` to abort. The server writes the result (replacing the value)
	 * only if the path still holds what `update` saw; otherwise `update` runs again on the value
	 * the server holds, up to `maxRetries` times (then the promise rejects with `CONFLICT`). An
	 * exception in `update` rejects the promise and sends nothing.
	 * @example const { committed, value } = await db.get('counters').get('visits').transaction((n) => (n ?? 0) + 1);
	 */
	transaction: (update: (current: Schema | null) => WriteValue<Schema> | null | undefined, options?: TransactionOptions) => Promise<TransactionResult<Schema>>;
	/**
	 * A reference to a new child under a new key: 20 characters that sort by creation time
	 * (strictly increasing for the keys of one client, even within one millisecond) and do not
	 * collide with other clients' keys. With a value, the child is written with `set(value, meta)`
	 * and the result is awaitable like `set`; without one (`undefined`), nothing is written and
	 * awaiting it resolves at once. On a typed reference the path must be a record
	 * (`{ [key: string]: T }`), and the value is a `T`; elsewhere `push` cannot be called.
	 * @example const message = db.get('messages').push({ text: 'Hello' }); await message; // message.key: '-P7nMr0p9b_2AWkL2IIN'
	 */
	push: [RecordChild<Schema>] extends [never] ? never : (value?: WriteValue<RecordChild<Schema>>, meta?: Meta) => WriteReference<RecordChild<Schema>> & { readonly key: string };
	/**
	 * Writes the server keeps for this client and applies when its connection ends, for any
	 * reason but the server's own `close()`: `db.disconnect()`, a dropped network, a failed
	 * keep-alive, the server closing the client. Each promise resolves once the server has
	 * registered the operation; the server's hooks decide then, and again when the write is applied.
	 * The client registers its writes again on every new connection, until they are cancelled.
	 * @example
	 * await db.get('status').get(userId).onDisconnect().set('offline');
	 */
	onDisconnect: () => OnDisconnect<Schema>;
	/**
	 * Calls `callback` with the current value (`null` when there is none), then on every change.
	 * Values are immutable snapshots; unchanged subtrees keep their identity between calls.
	 * @example const stop = db.get('users').get('42').on((user, meta) => render(user));
	 */
	on: (callback: (data: Schema | null, meta?: Meta) => void) => Unsubscriber;
	/**
	 * Calls `callback` once with the current value, then unsubscribes.
	 * @example db.get('config').once((config) => start(config));
	 */
	once: (callback: (data: Schema | null, meta?: Meta) => void) => Unsubscriber;
	/**
	 * Calls `callback` once for every existing child key and then for every key added later
	 * (again after a key was deleted and re-added).
	 * @example db.get('users').each((user, id) => user.on(render));
	 */
	each: (callback: (ref: ChainReference<ChildSchema<Schema, ChildKey<Schema>>>, key: ChildKey<Schema>) => void) => Unsubscriber;
	/**
	 * Called with the child keys of this path (an empty list when there are none), then with the
	 * whole list after every change, removals included. Only keys travel: the values below stay
	 * on the server, so this is cheap on any size of subtree.
	 * @example db.get('users').onKeys((ids) => renderList(ids));
	 */
	onKeys: (callback: (keys: string[]) => void) => Unsubscriber;
	/**
	 * A query on the children of this path, sorted by the value at `path` inside each child
	 * (see [queries](queries.md)); narrow it with `startAt`, `endAt`, `equalTo`, the limits...
	 * @example db.get('scores').orderByChild('points').limitToLast(3).on((top) => render(top));
	 */
	orderByChild: (path: string) => Query<ChildSchema<Schema, ChildKey<Schema>>>;
	/**
	 * A query on the children of this path, sorted by key (32-bit integer keys first, numerically).
	 * @example db.get('messages').orderByKey().limitToLast(50).on(render);
	 */
	orderByKey: () => Query<ChildSchema<Schema, ChildKey<Schema>>>;
	/**
	 * A query on the children of this path, sorted by their own values.
	 * @example db.get('names').orderByValue().startAt('m').on(render);
	 */
	orderByValue: () => Query<ChildSchema<Schema, ChildKey<Schema>>>;
	/**
	 * Child events of this path's children, in key order: `added` (at first for every child),
	 * `changed`, `removed`, `moved`, with the key of the child before it (null when first).
	 * @example db.get('messages').onChild('added', ({ key, value }) => show(key, value));
	 */
	onChild: (event: ChildEvent, callback: (entry: QueryEntry<ChildSchema<Schema, ChildKey<Schema>>>, previousKey: string | null) => void) => Unsubscriber;
	/**
	 * Runs `callback` with a reference whose subscriptions (and those of every reference
	 * derived from it, now or later) are all undone by the returned function.
	 * @example const leave = db.get('room').subscribeGroup((room) => { room.get('chat').each(show); room.get('title').on(setTitle); });
	 */
	subscribeGroup: (callback: (ref: ChainReference<Schema>) => void) => Unsubscriber;
};

/**
 * The operations of `ref.onDisconnect()`. Writes are applied in the order they were registered,
 * each as the matching write (`set`, `update`, `delete`) of the reference would be.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as ChainReference
export type OnDisconnect<Schema extends SchemaDefinition = any> = {
	/**
	 * Sets `value` (with `meta`) at this path when the connection ends, as `set` would.
	 * @example await db.get('status').get(userId).onDisconnect().set('offline', { at: Date.now() });
	 */
	set: (value: Schema, meta?: Meta) => Promise<void>;
	/**
	 * Writes several paths below this reference when the connection ends, as `update` would.
	 * @example await db.get('users').get(userId).onDisconnect().update({ online: false, 'session/id': null });
	 */
	update: (values: Record<string, unknown>, meta?: Meta) => Promise<void>;
	/**
	 * Deletes this path when the connection ends.
	 * @example await db.get('cursors').get(userId).onDisconnect().delete();
	 */
	delete: () => Promise<void>;
	/**
	 * Drops every `onDisconnect` write of this client made at this path or below it.
	 * @example await db.get('status').get(userId).onDisconnect().cancel();
	 */
	cancel: () => Promise<void>;
};

/** What `set` and `delete` return: the same reference, awaitable for the write's outcome. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as ChainReference
export type WriteReference<Schema extends SchemaDefinition = any> = ChainReference<Schema> & {
	then: PromiseLike<void>['then'];
	catch: Promise<void>['catch'];
	finally: Promise<void>['finally'];
};

/**
 * The state of a client's connection, as `onConnectionState` reports it:
 * - `'disconnected'`: before `connect()`, after `disconnect()`, and from the moment an established
 *   connection is lost until the transport opens a new socket;
 * - `'connecting'`: from `connect()` until the handshake completes, and during the handshake of a
 *   reconnect (the transport opened a new socket);
 * - `'connected'`: the server welcomed the client; writes and subscriptions flow.
 */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

/**
 * An error the server addressed to this client that no awaited write received. `path` names the
 * subscription (`on`, `once`, `onKeys`, or a query's path) the server refused, when that is what it is.
 */
export type ClientErrorEvent = { code: string; message: string; details?: unknown; path?: string };

/**
 * Every client hook. Returning a value replaces the arguments for the next hook and for
 * the client; throwing drops the action.
 */
export type ClientHooks = {
	/** Before a `set` is queued (and shown in this client's subscriptions). Return `{ path, value, meta }` to change it; throw to drop it (the write rejects and never shows). */
	'client:set'?: Hook<{ path: string; value: SchemaDefinition; meta?: Meta }>;
	/** Before a `delete` is queued (and shown). Return `{ path }` to change it; throw to drop it (the delete rejects and never shows). */
	'client:delete'?: Hook<{ path: string }>;
	/** The first time the client is connected (after the handshake). */
	'client:firstConnect'?: Hook;
	/** Connected again after a drop, before subscriptions are restored. */
	'client:reconnect'?: Hook;
	/** The connection closed. If the server closed it, `client:serverDisconnectMessage` ran first. */
	'client:disconnect'?: Hook;
	/** The server said goodbye, right before closing the connection, with its reason. */
	'client:serverDisconnectMessage'?: Hook<GoodbyeMessage>;
	/** The server pinged with this payload; the returned value is sent back. A throw sends no answer. */
	'client:heartbeat'?: Hook<Record<string, unknown>>;
	/** The server reported an error that no awaited write received (a refused write nobody awaited, bad input, denied stats or subscriptions). */
	'client:error'?: Hook<ClientErrorEvent>;
	/** A message the server sent this client with `client.send(data)` or `server.broadcast(data)`: the data as sent. */
	// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any JSON value the server chose to send
	'client:message'?: Hook<any>;
};

export type ClientPlugin = Plugin<ClientHooks>;

export type SocketDBClientOptions = {
	/** Also receives every change the client's mirror applies (the mirror itself is kept in immutable snapshots). */
	store?: Store;
	/** The transport. @default createWebsocketClient() */
	socketClient?: SocketClient;
	/**
	 * Accepted for SocketDB compatibility. The client sends what was written in one tick
	 * together at the end of that tick, which is always within this interval; the server's
	 * `updateInterval` decides how changes are batched on their way to subscribers.
	 * @default 50
	 */
	updateInterval?: number;
	plugins?: ClientPlugin[];
	/** The app's build version, reported to the server (`client.version`, and `stats().versions` there). */
	version?: string;
	/**
	 * In a browser, report the route (`location.pathname`) at connect and on every history
	 * navigation; the server keeps it with its own `routeTracking: true`. @default false
	 */
	routeTracking?: boolean;
	/** Default URL for `connect()`. */
	url?: string;
	/**
	 * Show this client's writes in its own subscriptions at once, before the server answers (its
	 * `client:set`/`client:delete` hooks run first). A write the server refuses is taken back:
	 * subscribers get the server's value, with the client's other unanswered writes on top. With
	 * `false`, a write shows only once the server sends it back, as in SocketDB. See docs/client.md.
	 * @default true
	 */
	optimistic?: boolean;
	/**
	 * In a browser, keep what must outlive the page in IndexedDB: the writes not yet answered (sent
	 * exactly once after a reload, by one tab) and the last values of subscribed paths (given to
	 * `on` at once on the next load, then replaced by the server's). Where IndexedDB is missing or
	 * full, the client warns once and goes on in memory. See docs/client.md.
	 */
	persistence?: 'indexeddb';
	/** With `persistence`, names the database (`socketdb:<name>`), so that several apps of one origin keep theirs apart. @default 'default' */
	name?: string;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as SocketDBClient
export type SocketDBClientAPI<Schema extends Json = any> = ChainReference<Schema> & {
	/**
	 * Connects (and keeps reconnecting) to `url`. Defaults to the page's host in a browser
	 * (`ws:` or `wss:`) and `ws://localhost:8080` in Node. Writes made before are sent once connected.
	 */
	connect: (url?: string) => void;
	/** Closes the connection for good; queued writes wait for the next `connect`. */
	disconnect: () => void;
	/** Registers a hook; returns the function that removes it. */
	intercept: <Name extends keyof ClientHooks>(hook: Name, callback: NonNullable<ClientHooks[Name]>) => () => void;
	/**
	 * Reports the client's current route to the server (kept there with `routeTracking: true`).
	 * In a browser, the `routeTracking` option does it on every navigation.
	 */
	trackRoute: (route: string) => void;
	/**
	 * Live connection stats, if the server authorizes this client (an `'server:authorizeStats'`
	 * hook must call `authorize()`): the current stats, then every change. Denied, the
	 * `'client:error'` hook gets `FORBIDDEN` and `callback` is never called.
	 */
	subscribeStats: (callback: (stats: ConnectionStats) => void) => () => void;
	/**
	 * Calls `callback` at once (synchronously) with the state of the connection, then on every
	 * change, never twice in a row with the same state; see `ConnectionState` for what each means.
	 * Returns the function that stops it.
	 * @example const stop = db.onConnectionState((state) => (banner.hidden = state === 'connected'));
	 */
	onConnectionState: (callback: (state: ConnectionState) => void) => Unsubscriber;
};
