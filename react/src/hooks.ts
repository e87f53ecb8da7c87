import { useMemo, useSyncExternalStore } from 'react';
import type { ConnectionState, Query, SocketDBClientAPI } from '@socketdb/client';
import { useSocketDB } from './context';
import { keysStore, queryStore, valueStore, type ExternalStore, type QueryState, type ValueState } from './stores';

/** A path, or anything with one: a reference (`db.get('users/42')`). */
export type PathOrRef = string | { readonly path: string };

const pathOf = (pathOrRef: PathOrRef) => (typeof pathOrRef === 'string' ? pathOrRef : pathOrRef.path);

function useStore<S>(store: ExternalStore<S>): S {
	return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot);
}

/**
 * The live value at a path: `{ data, meta, status }`, `status` `'loading'` until the first value
 * arrives, then `'ready'`; `'error'` (with `error`) when the server refused the subscription. The
 * component re-renders only when the value (or its meta) is another one: the client keeps an
 * unchanged value's identity. On the server, and before the first value, it is `'loading'`.
 *
 * @example const { data: user, status } = useValue<User>(`users/${id}`);
 */
export function useValue<T = unknown>(pathOrRef: PathOrRef): ValueState<T> {
	const client = useSocketDB();
	const path = pathOf(pathOrRef);
	return useStore(useMemo(() => valueStore<T>(client, path), [client, path]));
}

/**
 * The keys of the children at a path, live (sorted by the client as `onKeys` gives them); undefined
 * until they arrive, or when the server refused them.
 *
 * @example const ids = useKeys('todos') ?? [];
 */
export function useKeys(pathOrRef: PathOrRef): readonly string[] | undefined {
	const client = useSocketDB();
	const path = pathOf(pathOrRef);
	return useStore(useMemo(() => keysStore(client, path), [client, path]));
}

/**
 * A live query's result: `{ entries, status }`, the entries in the query's order. The query may be a
 * new object on every render: queries that ask the same are one subscription.
 *
 * @example const { entries } = useQuery(db.get('scores').orderByChild('points').limitToLast(10));
 */
export function useQuery<T = unknown>(query: Query<T>): QueryState<T> {
	const client = useSocketDB();
	// The query is named by what it asks, not by its object: a new object asking the same keeps the store.
	const name = `${query.path}\n${JSON.stringify(query.spec)}`;
	const store = useMemo(() => queryStore(client, query), [client, name]);
	return useStore(store);
}

/** The client's connection state, live: `'connecting'`, `'connected'` or `'disconnected'` (`'connecting'` on the server). */
export function useConnectionState(): ConnectionState {
	const client = useSocketDB();
	const store = useMemo(() => connectionStore(client), [client]);
	return useStore(store);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema's client
function connectionStore(client: SocketDBClientAPI<any>): ExternalStore<ConnectionState> {
	let state: ConnectionState = 'connecting';
	return {
		subscribe(onChange) {
			return client.onConnectionState((next) => {
				if (next === state) return;
				state = next;
				onChange();
			});
		},
		getSnapshot: () => state,
		getServerSnapshot: () => 'connecting',
	};
}
