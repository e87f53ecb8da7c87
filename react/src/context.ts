import { createContext, createElement, useContext, type ReactNode } from 'react';
import type { SocketDBClientAPI } from '@socketdb/client';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a provider holds a client of any schema; useSocketDB<Schema>() types it
const ClientContext = createContext<SocketDBClientAPI<any> | null>(null);

/**
 * Makes `client` the one the hooks below it use.
 *
 * @example root.render(<SocketDBProvider client={db}><App /></SocketDBProvider>);
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ClientContext
export function SocketDBProvider({ client, children }: { client: SocketDBClientAPI<any>; children?: ReactNode }): ReactNode {
	return createElement(ClientContext.Provider, { value: client }, children);
}

/**
 * The client of the nearest `SocketDBProvider`.
 *
 * @throws Error when there is no provider above the component.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema is the caller's to name
export function useSocketDB<Schema extends Record<string, any> = any>(): SocketDBClientAPI<Schema> {
	const client = useContext(ClientContext);
	if (client === null) throw new Error('useSocketDB: no SocketDBProvider above this component; wrap the app in <SocketDBProvider client={db}>');
	return client as SocketDBClientAPI<Schema>;
}
