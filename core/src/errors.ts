/**
 * Stable error codes. Each is documented in docs/errors.md; clients may branch on them.
 */
export const ERROR_CODES = [
	/** A frame could not be decoded (not MessagePack, truncated, or a text frame). */
	'INVALID_FRAME',
	/** A frame decoded, but a message in it has an unknown type or the wrong shape. */
	'INVALID_MESSAGE',
	/** A path has an empty segment, a reserved key (`__proto__`, `constructor`, `prototype`) or is too long. */
	'INVALID_PATH',
	/** A value is not JSON-compatible (dates, binary, non-finite numbers, reserved keys, a leaf at the root). */
	'INVALID_VALUE',
	/** A frame is larger than the server accepts. */
	'PAYLOAD_TOO_LARGE',
	/** A value nests deeper than the server accepts. */
	'TOO_DEEP',
	/** A write holds more keys than the server accepts. */
	'TOO_MANY_KEYS',
	/** The client wrote faster than its rate limit allows. */
	'RATE_LIMITED',
	/** The client holds more subscriptions than the server accepts. */
	'TOO_MANY_SUBSCRIPTIONS',
	/** The connection holds as many `onDisconnect` writes as the server keeps for one connection (100). */
	'TOO_MANY_DISCONNECT_WRITES',
	/** A hook (plugin or interceptor) refused the write. */
	'VETOED',
	/** The client speaks a protocol version the server does not. */
	'UNSUPPORTED_PROTOCOL',
	/** The server refused the request for this session. */
	'FORBIDDEN',
	/** The server failed in a way the request did not cause (a store error, for instance). */
	'INTERNAL_ERROR',
	/** The write could not be logged in time (the shared log of several servers is unreachable); the client keeps it and sends it again. */
	'UNAVAILABLE',
	/** A transaction's path no longer held the value it was computed from; `details.value` is what it holds. */
	'CONFLICT',
	/** A query's parts do not go together (two orders, both limits, a bound of the wrong type) or one is malformed. */
	'INVALID_QUERY',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** True for one of the documented error codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
	return typeof code === 'string' && KNOWN_CODES.has(code);
}

/**
 * The error every SocketDB failure is reported with: a stable `code` and a readable message.
 *
 * @example
 * try { await db.get('a').set(1); } catch (error) {
 *   if (error instanceof SocketDBError && error.code === 'VETOED') console.log(error.message);
 * }
 */
export class SocketDBError extends Error {
	readonly code: ErrorCode;
	/** Extra JSON data the server attached (for example a validator's findings); absent when there is none. */
	declare readonly details?: unknown;

	constructor(code: ErrorCode, message: string, details?: unknown) {
		super(message);
		this.name = 'SocketDBError';
		this.code = code;
		if (details !== undefined) Object.defineProperty(this, 'details', { value: details, enumerable: true });
	}
}

/**
 * Turns whatever a hook threw into a `SocketDBError`: an existing one keeps its code,
 * anything else becomes `VETOED` with the thrown message.
 */
export function toSocketDBError(thrown: unknown, fallback: ErrorCode = 'VETOED'): SocketDBError {
	if (thrown instanceof SocketDBError) return thrown;
	if (typeof thrown === 'object' && thrown !== null) {
		const { message, code, errors, details } = thrown as Record<string, unknown>;
		const text = typeof message === 'string' && message !== '' ? message : String(thrown);
		const knownCode = isErrorCode(code) ? code : fallback;
		return new SocketDBError(knownCode, text, details ?? errors);
	}
	return new SocketDBError(fallback, thrown === undefined ? 'refused' : String(thrown));
}

/**
 * Whatever was thrown, as an `Error` to report: an `Error` stays as it is, anything else
 * becomes a `SocketDBError` as `toSocketDBError` makes it.
 */
export function toError(thrown: unknown): Error {
	return thrown instanceof Error ? thrown : toSocketDBError(thrown);
}
