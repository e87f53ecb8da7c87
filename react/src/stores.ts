import type { ClientErrorEvent, Query, QueryEntry, SocketDBClientAPI } from '@socketdb/client';
import type { Meta } from '@socketdb/core';

/** What `useValue` gives: the value and its meta once the server sent them; why not, when it refused. */
export type ValueState<T = unknown> =
	| { readonly data: undefined; readonly meta: undefined; readonly status: 'loading'; readonly error?: undefined }
	| { readonly data: T | null; readonly meta: Meta | undefined; readonly status: 'ready'; readonly error?: undefined }
	| { readonly data: undefined; readonly meta: undefined; readonly status: 'error'; readonly error: ClientErrorEvent };

/** What `useQuery` gives: the entries in the query's order once the server sent them. */
export type QueryState<T = unknown> =
	| { readonly entries: undefined; readonly status: 'loading'; readonly error?: undefined }
	| { readonly entries: readonly QueryEntry<T>[]; readonly status: 'ready'; readonly error?: undefined }
	| { readonly entries: undefined; readonly status: 'error'; readonly error: ClientErrorEvent };

/** A source `useSyncExternalStore` reads: its snapshot keeps its identity until it changes. */
export type ExternalStore<S> = { subscribe: (onChange: () => void) => () => void; getSnapshot: () => S; getServerSnapshot: () => S };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the stores work for a client of any schema
type AnyClient = SocketDBClientAPI<any>;

export const LOADING_VALUE: ValueState<never> = Object.freeze({ data: undefined, meta: undefined, status: 'loading' });
export const LOADING_QUERY: QueryState<never> = Object.freeze({ entries: undefined, status: 'loading' });

/** Whether a refusal is that of a subscription at `path`: the client subscribes the highest path it listens to, so one above counts too. */
function refuses(event: ClientErrorEvent, path: string): boolean {
	const refused = event.path;
	if (refused === undefined) return false;
	return refused === '' || refused === path || path.startsWith(`${refused}/`);
}

/**
 * A store whose snapshot `listen` keeps up to date while subscribed (`current` reads it), and which
 * turns to `failed` when the server refuses the subscription at `path`. Subscribing again (React's
 * StrictMode mounts twice) subscribes again; the snapshot stays.
 */
function listeningStore<S>(client: AnyClient, path: string, loading: S, listen: (set: (next: S) => void, current: () => S) => () => void, failed: (error: ClientErrorEvent) => S): ExternalStore<S> {
	let snapshot = loading;
	return {
		subscribe(onChange) {
			const set = (next: S) => {
				if (next === snapshot) return;
				snapshot = next;
				onChange();
			};
			const stop = listen(set, () => snapshot);
			const stopErrors = client.intercept('client:error', (event: ClientErrorEvent) => {
				if (refuses(event, path)) set(failed(event));
			});
			return () => {
				stop();
				stopErrors();
			};
		},
		getSnapshot: () => snapshot,
		getServerSnapshot: () => loading,
	};
}

export function valueStore<T>(client: AnyClient, path: string): ExternalStore<ValueState<T>> {
	return listeningStore<ValueState<T>>(
		client,
		path,
		LOADING_VALUE,
		(set, current) =>
			client.get(path).on((data: unknown, meta?: Meta) => {
				// The client hands the same snapshot while it is unchanged: keep the state's identity then.
				const now = current();
				if (now.status === 'ready' && now.data === data && now.meta === meta) return;
				set(Object.freeze({ data: data as T | null, meta, status: 'ready' }));
			}),
		(error) => Object.freeze({ data: undefined, meta: undefined, status: 'error', error }),
	);
}

export function keysStore(client: AnyClient, path: string): ExternalStore<readonly string[] | undefined> {
	return listeningStore<readonly string[] | undefined>(client, path, undefined, (set) => client.get(path).onKeys((keys: string[]) => set(Object.freeze([...keys]))), () => undefined);
}

export function queryStore<T>(client: AnyClient, query: Query<T>): ExternalStore<QueryState<T>> {
	return listeningStore<QueryState<T>>(
		client,
		query.path,
		LOADING_QUERY,
		(set) => query.on((entries) => set(Object.freeze({ entries, status: 'ready' }))),
		(error) => Object.freeze({ entries: undefined, status: 'error', error }),
	);
}
