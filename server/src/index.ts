export { SocketDBServer } from './server';
export type { SocketDBServerAPI } from './server';
export { DEFAULT_LIMITS } from './limits';
export { createInspector } from './inspector/inspector';
export type { Inspector, InspectorOptions } from './inspector/inspector';
export { createLmdbStore } from './lmdb-store';
export type { LmdbStore, LmdbStoreOptions } from './lmdb-store';
export type { Limits } from './limits';
export { createIncrementalIdGenerator, createWebsocketServer } from './transport/websocket-server';
export type { WebsocketServer, WebsocketServerOptions } from './transport/websocket-server';
export { WebsocketServerError } from './transport/upgrade-error';
export type { AllowedOrigins } from './transport/allowed-origins';
export type { UpgradeErrorCode } from './transport/upgrade-error';
export type {
	Client,
	ErrorSource,
	Nullified,
	ServerWriter,
	RecursivePartial,
	ServerHooks,
	ServerPlugin,
	ServerWrite,
	SessionContext,
	SocketDBServerDataAPI,
	SocketDBServerOptions,
} from './types';
