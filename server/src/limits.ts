import { DEFAULT_MAX_FRAME_BYTES } from '@socketdb/core';

/**
 * Bounds on what one client may send. Exceeding one refuses that request with the
 * named error code; none of them limits what the server itself writes.
 */
export type Limits = {
	/** Largest frame accepted, in bytes (`PAYLOAD_TOO_LARGE`). Bounds the memory one message can take. @default 16 MiB */
	maxFrameBytes: number;
	/** Deepest nesting inside one write (`TOO_DEEP`). Keeps recursion in hooks, stores and clients bounded. @default 64 */
	maxDepth: number;
	/** Most keys and array items inside one write (`TOO_MANY_KEYS`). Bounds the work one write causes. @default 100000 */
	maxKeysPerWrite: number;
	/** Longest path, in characters (`INVALID_PATH`). Paths are stored and indexed per subscription. @default 1024 */
	maxPathLength: number;
	/** Most paths one connection may watch at once (`TOO_MANY_SUBSCRIPTIONS`). Bounds the index one client can grow. @default 10000 */
	maxSubscriptionsPerConnection: number;
	/**
	 * Sustained writes per second per connection (`RATE_LIMITED`). Keeps one client from starving
	 * the others. The default is generous so that bulk loads and benchmarks (a pipelining client
	 * sends several hundred thousand writes per second) are not throttled; lower it for clients
	 * you do not trust. @default 1000000
	 */
	writesPerSecond: number;
	/** Writes a connection may make in a burst above the sustained rate. @default 1000000 */
	writeBurst: number;
	/**
	 * Bad requests a connection may make per minute (and in a burst) before it is told goodbye
	 * (`too-many-errors`): frames or messages that do not decode, bad paths or values, and
	 * requests over a limit. Each one is refused and logged; past this budget the connection
	 * only costs the server work and log lines. Hook refusals (`VETOED`) do not count. @default 300
	 */
	badRequestsPerMinute: number;
	/** Most simultaneous connections; later ones are told goodbye (`too-many-connections`). Bounds memory and file descriptors. @default 10000 */
	maxConnections: number;
	/**
	 * Bytes a connection may have waiting to be sent before it counts as a slow consumer: its
	 * updates are then no longer queued, and the latest state of each path it missed is sent
	 * once it has caught up (below half this amount). Bounds what the server buffers for a
	 * client that reads slowly or not at all. @default 4 MiB
	 */
	slowConsumerBytes: number;
	/** How long a connection may stay a slow consumer before it is told goodbye (`slow-consumer`) and closed. @default 10000 */
	slowConsumerCloseMs: number;
	/**
	 * Largest value one subscription may receive, in encoded bytes (`PAYLOAD_TOO_LARGE`). Large
	 * values are read and sent in bounded slices, so they stall nobody, but one subscription to
	 * the root of a big tree still makes the server read and send all of it; this bounds that
	 * work. The size is counted while the value is sent: past the limit the server stops and
	 * drops the subscription. @default 64 MiB
	 */
	maxSnapshotBytes: number;
};

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
	maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
	maxDepth: 64,
	maxKeysPerWrite: 100_000,
	maxPathLength: 1024,
	maxSubscriptionsPerConnection: 10_000,
	writesPerSecond: 1_000_000,
	writeBurst: 1_000_000,
	maxConnections: 10_000,
	badRequestsPerMinute: 300,
	slowConsumerBytes: 4 * 1024 * 1024,
	slowConsumerCloseMs: 10_000,
	maxSnapshotBytes: 64 * 1024 * 1024,
});

/** Fills in defaults and checks that every limit is a positive number. */
export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
	const limits = { ...DEFAULT_LIMITS, ...overrides };
	for (const [name, value] of Object.entries(limits)) {
		if (typeof value !== 'number' || !(value > 0)) throw new TypeError(`limits.${name} must be a positive number, got ${String(value)}`);
	}
	return limits;
}

/** A token bucket: `writesPerSecond` tokens refill continuously up to `writeBurst`. */
export class RateLimiter {
	private tokens: number;
	private updatedAt = performance.now();

	constructor(
		private readonly perSecond: number,
		private readonly burst: number,
	) {
		this.tokens = burst;
	}

	/** Takes one token; false when the bucket is empty. */
	take(): boolean {
		const now = performance.now();
		this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond);
		this.updatedAt = now;
		if (this.tokens < 1) return false;
		this.tokens -= 1;
		return true;
	}
}
