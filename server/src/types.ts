import type { GoodbyeMessage, Hook, Json, Node, Plugin, QuerySpec, SocketServer, Store } from '@socketdb/core';
import type { Limits } from './limits';
import type { Replication } from './replication';
import type { AllowedOrigins } from './transport/allowed-origins';

/**
 * What `initializeSession` returned for a connection, available as `client.context`.
 * Type it by declaration merging:
 *
 * @example
 * declare module '@socketdb/server' {
 *   interface SessionContext { user: { id: string } }
 * }
 */
export interface SessionContext extends Record<string, unknown> {}

export type RecursivePartial<T> = T extends Json ? { [K in keyof T]?: RecursivePartial<T[K]> } : T;

/** A connected client as hooks and `getClient` see it. */
export type Client = {
	id: string;
	context: SessionContext;
	/** Says goodbye (reason `unspecified` unless given) and closes the connection. */
	close: (goodbye?: GoodbyeMessage) => void;
	/** Sends `data` (any JSON value) to this client; it arrives at the client's `'client:message'` hook. */
	send: (data: unknown) => void;
	/** The app's build version the client reported (`SocketDBClient({ version })`). */
	readonly version?: string | undefined;
	/** The client's current route, with `routeTracking: true`. */
	readonly route?: string | undefined;
	/** The client's IP address, with `ipTracking: true`. */
	readonly ip?: string | undefined;
	/** When the connection was accepted, in ms since the epoch. */
	readonly connectedAt: number;
	/** How many subscriptions (values, keys and queries) the connection holds now. */
	readonly subscriptions: number;
};

/** A type with every field `null`. */
export type Nullified<T> = { [K in keyof T]: null };

/** The `client` of hooks that run for writes the server made itself: SocketDB's shape, every field `null`. */
export type ServerWriter = Nullified<Pick<Client, 'id' | 'context' | 'close'>>;

/**
 * Awaitable result of a server-side write. Nothing happens if you do not await it;
 * a refused write you do not await is reported to `onError`.
 */
export type ServerWrite = PromiseLike<void>;

/** Reading and writing the tree from the server (also handed to every hook as `api`). */
export type SocketDBServerDataAPI<Schema extends Json = Json> = {
	/** Deep-merges a root-anchored node into the tree, through the `server:update` hooks. */
	update: (data: Node<RecursivePartial<Schema>>) => ServerWrite;
	/** A copy of the node at `path` (`{ value: null }` when there is none). */
	get: (path: string) => Node;
	/** Removes `path` and everything below it, through the `server:delete` hooks. */
	delete: (path: string) => ServerWrite;
};

type WriteContext<Schema extends Json> = {
	/** The writer; every field is `null` when the server itself wrote. */
	client: Client | ServerWriter;
	api: SocketDBServerDataAPI<Schema>;
};

type ConnectionContext<Schema extends Json> = { client: Client; api: SocketDBServerDataAPI<Schema> };

/**
 * Every server hook. A hook receives arguments and a context; returning a value
 * replaces the arguments for the next hook and for SocketDB; throwing stops the action.
 */
export type ServerHooks<Schema extends Json = Json> = {
	/** After `listen` succeeded, before its callback. A throw is reported to `onError`. */
	'server:init'?: Hook<Record<string, never>, { api: SocketDBServerDataAPI<Schema> }>;
	/** A client finished its handshake. A throw is reported to `onError`; the client stays connected. */
	'server:clientConnect'?: Hook<{ id: string }, ConnectionContext<Schema>>;
	/** A client's connection closed, however it ended. A throw is reported to `onError`. */
	'server:clientDisconnect'?: Hook<{ id: string }, ConnectionContext<Schema>>;
	/**
	 * Before each keep-alive ping. The returned value is sent as the ping's payload.
	 * A throw says goodbye (`keep-alive-check-failed`) and closes the connection.
	 */
	'server:keepAliveCheck'?: Hook<Record<string, unknown>, ConnectionContext<Schema>>;
	/**
	 * The client answered a ping with this payload. A throw leaves the client
	 * unanswered, so it is closed at the next check.
	 */
	'server:heartbeat'?: Hook<Record<string, unknown>, ConnectionContext<Schema>>;
	/**
	 * Before one write is applied, with that write's root-anchored diff. Called once per
	 * client `set` (never for several writes merged). A returned value replaces the write;
	 * a throw refuses it, and the message reaches the writer as the rejection reason.
	 * A transaction replaces the value at its path: `replaces` names that path (the keys its
	 * new value leaves out are removed), so that a hook guarding them sees it.
	 */
	'server:update'?: Hook<{ data: Node<RecursivePartial<Schema>>; replaces?: string }, WriteContext<Schema>>;
	/** Before one delete is applied. A returned value replaces the path; a throw refuses the delete. */
	'server:delete'?: Hook<{ path: string }, WriteContext<Schema>>;
	/**
	 * Before a client subscribes to `path` (its value, or with `keys` its keys only). A throw
	 * refuses the subscription: the client gets a `FORBIDDEN` error (or the thrown error's own
	 * code) and nothing of the path. Read authorization belongs here; the client is not trusted.
	 * For a query (`orderByChild(...)...on`, or `...onKeys` with `keys`) `query` holds it, and returning the arguments with
	 * another `query` (a lower limit, say) makes the server run that one instead.
	 */
	'server:subscribe'?: Hook<{ path: string; keys: boolean; query?: QuerySpec }, ConnectionContext<Schema>>;
	/** A client reported a new route (with `routeTracking: true`); `client.route` is already the new one. A throw is reported to `onError`. */
	'server:routeUpdate'?: Hook<{ id: string; route: string }, ConnectionContext<Schema>>;
	/** A client asked for live stats; `'server:authorizeStats'` decides next. A throw denies the stats. */
	'server:subscribeStats'?: Hook<{ id: string }, ConnectionContext<Schema>>;
	/**
	 * Decides whether a client that asked for stats gets them: denied unless some hook calls
	 * `authorize()` (an async hook may call it after awaiting). A throw denies them.
	 */
	'server:authorizeStats'?: Hook<{ id: string }, ConnectionContext<Schema> & { authorize: () => void }>;
	/**
	 * After a write was applied: `data` is what changed (root-anchored) or `deleted` the removed path.
	 * Runs in commit order; it cannot refuse anything, and a throw is reported to `onError`.
	 */
	'server:change'?: Hook<{ revision: number; data?: Node; deleted?: string }, WriteContext<Schema>>;
};

export type ServerPlugin<Schema extends Json = Json> = Plugin<ServerHooks<Schema>>;

/** Where an error reported to `onError` came from. */
export type ErrorSource = {
	/** The hook that threw, if a hook did. */
	hook?: keyof ServerHooks;
	/** The client involved, if any. */
	client?: Client | null;
	/**
	 * True when the server cannot go on as one database with the others: the shared log could
	 * not be reached at start, or holds an entry this version cannot read. The server stops
	 * taking writes; a program should report the error and exit.
	 */
	fatal?: true;
};

export type SocketDBServerOptions<Schema extends Json = Json> = {
	/**
	 * Keep each client's route (reported by the client: in a browser with `routeTracking`, or
	 * by `trackRoute`), count clients by route in `stats()`, and run `'server:routeUpdate'`.
	 * @default false
	 */
	routeTracking?: boolean;
	/** Keep each client's IP address as `client.ip`. @default false */
	ipTracking?: boolean;
	/**
	 * Take `client.ip` from the first `X-Forwarded-For` hop: only behind a proxy that sets
	 * that header, since clients can send it too. @default false
	 */
	trustProxy?: boolean;
	/** Where the tree lives. @default createStore() (in memory) */
	store?: Store;
	/**
	 * Milliseconds during which changes are collected and merged per path before they are
	 * sent; a write reaches subscribers within one interval, and batches go out at most once per
	 * interval. `0` sends at the end of the current tick without merging anything away.
	 * @default 50
	 */
	updateInterval?: number;
	/** The transport. @default createWebsocketServer() */
	socketServer?: SocketServer<SessionContext>;
	/**
	 * The web pages (by `Origin`) that may connect: a list of origins (`'*'` for all) or a
	 * function. Other pages' upgrades are refused with 403 by the transport; requests without
	 * `Origin` (Node clients) are not affected.
	 * @default every origin, as in SocketDB: any page the user opens may then connect and read
	 * what the hooks allow; list your app's origins
	 */
	allowedOrigins?: AllowedOrigins;
	plugins?: ServerPlugin<Schema>[];
	/**
	 * Milliseconds between keep-alive pings; a client that did not answer the previous
	 * ping is closed. `0` disables keep-alive.
	 * @default 30000
	 */
	keepAliveInterval?: number;
	/** Bounds on what one client may send; see `Limits`. */
	limits?: Partial<Limits>;
	/**
	 * Receives every error a hook threw and every failure the server could not attribute
	 * to a request. It must not throw.
	 * @default logs one line per error with console.error
	 */
	onError?: (error: Error, source: ErrorSource) => void;
	/**
	 * Makes this process one of several that are one database: changes go through a shared,
	 * ordered log (see `Replication`), e.g. `redisReplication({ url })` from `@socketdb/redis`.
	 * Every process needs a store of its own. @default none: the process is the database
	 */
	replication?: Replication;
};
