import type { Store } from '@socketdb/core';
import type { HookHost } from './call-hook';
import type { ConnectionCounts } from './connection-stats';
import type { FanOut } from './fanout';
import type { Limits } from './limits';
import type { QueryEngine } from './query-subscriptions';
import type { ReplicatedLog } from './replicated-log';
import type { SocketDBServerDataAPI } from './types';
import type { WritePath } from './write-path';
import type { TransactionTurns } from './transaction-turns';
import type { WriteSessions } from './write-sessions';

/** What a connection needs from the server it belongs to. */
export interface ServerRuntime extends HookHost {
	readonly store: Store;
	readonly api: SocketDBServerDataAPI;
	readonly fanout: FanOut;
	/** Live queries and the ordered indexes they use. */
	readonly queries: QueryEngine;
	readonly writePath: WritePath;
	readonly sessions: WriteSessions;
	/** Turns for transactions on one path (fairness under contention). */
	readonly turns: TransactionTurns;
	readonly limits: Limits;
	/** Connections counted by version and route, and who watches the counts. */
	readonly counts: ConnectionCounts;
	/** The shared log, when this process is one of several that are one database. */
	readonly log: ReplicatedLog | undefined;
	/** Settles once the process has caught up with the shared log; undefined when it has (or there is none). */
	readonly starting: Promise<void> | undefined;
	readonly tracking: { readonly routes: boolean; readonly ips: boolean; readonly trustProxy: boolean };
	/** Number of connections past their handshake. */
	openConnections(): number;
	/** Called when a connection finished its handshake or closed. */
	connectionOpened(connection: unknown): void;
	connectionClosed(connection: unknown): void;
	/** Starts watching a congested connection until it catches up or is closed. */
	watchCongestion(connection: { relieve(now: number): boolean }): void;
}
