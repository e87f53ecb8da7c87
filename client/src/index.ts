export { SocketDBClient } from './client';
export { createWebsocketClient } from './transport/websocket-client';
export type { WebsocketClientOptions } from './transport/websocket-client';
export type {
	ChainReference,
	ClientErrorEvent,
	ClientHooks,
	ClientPlugin,
	SchemaDefinition,
	SocketDBClientAPI,
	SocketDBClientOptions,
	Unsubscriber,
	WriteReference,
} from './types';
