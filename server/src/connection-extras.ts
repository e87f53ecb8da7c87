import type { RateLimiter } from './limits';
import type { SnapshotStreams } from './connection-snapshots';
import type { DisconnectWrites } from './disconnect-writes';
import type { QuerySubscription } from './query-subscriptions';

/**
 * The part of a connection's state that most connections never need, made on first use so an
 * idle connection stays small.
 */
export class ConnectionExtras {
	rateLimiter: RateLimiter | undefined;
	badRequests: RateLimiter | undefined;
	/** Set while a `server:subscribe` hook decides: later subscription requests wait behind it. */
	subscriptionsInFlight: Promise<unknown> | undefined;
	/** The client's current route, with route tracking. */
	route: string | undefined;
	/** The client's address, with IP tracking. */
	ip: string | undefined;
	/** True from a stats request until the client gives it up. */
	wantsStats = false;
	/** Values too large for one message that are still being sent. */
	streams: SnapshotStreams | undefined;
	/** Writes to apply when the connection ends (`ref.onDisconnect()`). */
	disconnectWrites: DisconnectWrites | undefined;
	/** Live queries, by the client's number for each. */
	queries: Map<number, QuerySubscription> | undefined;
}
