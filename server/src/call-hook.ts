import { toError, type HookArgs, type HookContext, type HookPipeline } from '@socketdb/core';
import type { Client, ErrorSource, ServerHooks, ServerWriter, SocketDBServerDataAPI } from './types';

/**
 * The hooks as the server runs them. An application's `Schema` types what its own plugins see;
 * the server only moves JSON and relies on no schema, so it holds them with any.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema is the application's concern, see above
type AnySchemaHooks = ServerHooks<any>;
export type ServerHookPipeline = HookPipeline<AnySchemaHooks>;

/** What calling a hook needs: the hooks, the data API of their context, and where a failure is reported. */
export interface HookHost {
	readonly hooks: ServerHookPipeline;
	readonly api: SocketDBServerDataAPI;
	report(error: Error, source: ErrorSource): void;
}

/** Who made a change: a connected client, or the server itself. */
export type Writer = Client | ServerWriter;

/**
 * Whom a hook runs for. `client` is read only once a hook runs or a failure is reported, so a
 * connection makes its `Client` only when something needs it.
 */
export interface HookSubject {
	readonly client: Writer;
}

/** The client a report names: none for the server's own writes. */
export function reportedClient(writer: Writer): Client | null {
	return writer.id === null ? null : (writer as Client);
}

/** The hooks that cannot refuse anything: a throw is only reported. Their context is `{ client, api }` (`{ api }` for `server:init`). */
type NotifyingHook = 'server:init' | 'server:clientConnect' | 'server:clientDisconnect' | 'server:keepAliveCheck' | 'server:heartbeat' | 'server:routeUpdate' | 'server:change';
type Args<K extends NotifyingHook> = HookArgs<NonNullable<AnySchemaHooks[K]>>;
type Context<K extends NotifyingHook> = HookContext<NonNullable<AnySchemaHooks[K]>>;

/**
 * Calls the hooks registered under `name` for `subject` (none for `server:init`). `then` gets
 * their result; when no hook is registered it runs at once with `args`, and nothing is made. A
 * throw is reported to `onError` with the hook's name and the client, then `failed` runs.
 */
export function callHook<K extends NotifyingHook>(host: HookHost, name: K, args: Args<K>, subject: HookSubject | null, then?: (result: Args<K>) => void, failed?: () => void): void {
	const { hooks, api } = host;
	if (!hooks.has(name)) return then?.(args);
	const client = subject?.client;
	// Each of these hooks takes exactly this context, which TypeScript cannot tell from `name` alone.
	const context = (client === undefined ? { api } : { client, api }) as Context<K>;
	hooks.call(name, args, context).then(then, (thrown: unknown) => {
		host.report(toError(thrown), client === undefined ? { hook: name } : { hook: name, client: reportedClient(client) });
		failed?.();
	});
}
