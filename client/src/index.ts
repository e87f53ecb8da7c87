export { SocketDBClient } from './client';
export { increment, serverTimestamp } from '@socketdb/core';
export type { ServerValue } from '@socketdb/core';
export { Query } from './query';
export type { ChildEvent, QueryEntry } from './child-events';
export type { QueryBound, QueryOrderBy, QuerySpec, QueryValue } from '@socketdb/core';
export { createWebsocketClient } from './transport/websocket-client';
export { mockSocketClient } from './transport/in-process-client';
export type { WebsocketClientOptions } from './transport/websocket-client';
export type { TransactionOptions, TransactionResult } from './transaction';
export type {
	ChainReference,
	ClientErrorEvent,
	ConnectionState,
	ClientHooks,
	ClientPlugin,
	OnDisconnect,
	SchemaDefinition,
	SocketDBClientAPI,
	SocketDBClientOptions,
	Unsubscriber,
	WriteReference,
	WriteValue,
} from './types';
