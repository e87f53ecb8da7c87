export { SocketDBProvider, useSocketDB } from './context';
export { useConnectionState, useKeys, useQuery, useValue } from './hooks';
export type { PathOrRef } from './hooks';
export type { QueryState, ValueState } from './stores';
