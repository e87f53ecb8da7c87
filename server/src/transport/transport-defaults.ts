// What every transport shares. Kept apart from the ws transport, so that loading another
// transport (crossws, in-process) loads no `ws`.

/** Counts up from zero: the id generator SocketDB used. */
export function createIncrementalIdGenerator(): () => string {
	let next = 0;
	return () => String(next++);
}

/** How long a closing connection may take to finish the closing handshake before it is cut off (every transport). */
export const CLOSE_TIMEOUT_MS = 5_000;
