import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Compares secrets in constant time, whatever their lengths (compared as digests, so the length does not leak either). */
export function sameSecret(given: string, expected: string): boolean {
	return timingSafeEqual(digest(given), digest(expected));
}

function digest(text: string): Buffer {
	return createHash('sha256').update(text).digest();
}

/**
 * The token a request presents: an `Authorization: Bearer` header, or the URL's `token`
 * parameter (browsers cannot set headers on a WebSocket). `undefined` when it has neither.
 */
export function presentedToken(req: IncomingMessage): string | undefined {
	const header = req.headers.authorization;
	if (header !== undefined) {
		const match = /^Bearer\s+(.+)$/i.exec(header.trim());
		if (match !== null) return match[1];
	}
	return new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? undefined;
}

/** The address a request came from, for counting failed attempts. */
export function requestAddress(req: IncomingMessage): string {
	return req.socket.remoteAddress ?? 'unknown';
}
