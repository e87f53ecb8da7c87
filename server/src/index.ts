export { SocketDBServer } from './server';
export type { ServerStats, SocketDBServerAPI } from './server';
export type { DecidedSessions, LogEntry, LoggedEntry, Origin, PathsUpdate, ReplicaNode, ReplicaSnapshot, Replication } from './replication';
export { DEFAULT_LIMITS, resolveLimits } from './limits';
export type { Limits } from './limits';
export { createWebsocketServer } from './transport/websocket-server';
export { createIncrementalIdGenerator } from './transport/transport-defaults';
export type { WebsocketServer, WebsocketServerOptions } from './transport/websocket-server';
export { mockSocketServer } from './transport/in-process-server';
export type { MockSocketServer, MockSocketServerOptions } from './transport/in-process-server';
export { WebsocketServerError } from './transport/upgrade-error';
export { answerUpgradeRequired } from './transport/upgrade-required';
export { originCheck } from './transport/allowed-origins';
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
