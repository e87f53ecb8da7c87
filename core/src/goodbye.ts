/**
 * The goodbye your own code sends with `client.close(goodbye)`. Add fields by declaration merging:
 *
 * @example
 * declare module '@socketdb/core' {
 *   interface CustomGoodbyeMessage { bannedUntil?: number }
 * }
 * client.close({ reason: 'custom', bannedUntil: Date.now() + 60_000 });
 */
export interface CustomGoodbyeMessage {
	reason: 'custom';
}

/**
 * Sent by the server right before it closes a connection, saying why.
 *
 * - `keep-alive-check-failed`: a `server:keepAliveCheck` hook refused the client.
 * - `unsupported-protocol`: the client speaks a protocol version the server does not; the client stops reconnecting.
 * - `server-shutdown`: the server is closing (`server.close()`); the client reconnects.
 * - `protocol-error`: the client broke the protocol (for instance wrote before its hello).
 * - `too-many-connections`: the server is at its connection limit; the client retries after `retryAfter`.
 * - `handshake-timeout`: the client did not say hello in time.
 * - `slow-consumer`: the client read so slowly that the server would have had to buffer too much for it.
 * - `too-many-errors`: the client kept sending bad requests (more than `limits.badRequestsPerMinute`);
 *   the client retries after `retryAfter`.
 * - `replaced`: the same client connected again while this connection still looked open (its
 *   network went away without closing it); this one is closed so that the new one takes over.
 * - `unspecified`: `client.close()` without a message.
 */
export type GoodbyeMessage =
	| {
			reason: 'keep-alive-check-failed' | 'unspecified' | 'unsupported-protocol' | 'server-shutdown' | 'protocol-error' | 'too-many-connections' | 'handshake-timeout' | 'slow-consumer' | 'too-many-errors' | 'replaced';
			message?: string;
			/** How long the client should wait before it connects again, in ms (the client adds a little jitter). */
			retryAfter?: number;
	  }
	| CustomGoodbyeMessage;
