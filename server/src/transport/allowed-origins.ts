import { WebsocketServerError } from './upgrade-error';

/**
 * Which web pages may open a connection, by the `Origin` header their browser sends: a list of
 * origins (`'https://app.example.com'`; `'*'` allows every origin), or a function that decides.
 * Requests without an `Origin` header (Node clients, the CLI, native apps) are not affected:
 * only browsers send it, and only browsers need protecting from other sites' pages.
 */
export type AllowedOrigins = readonly string[] | ((origin: string) => boolean);

/**
 * Turns `allowed` into a check of one upgrade's `Origin` header.
 *
 * @throws TypeError for a list entry that is not an origin (`scheme://host[:port]`, `'null'` or `'*'`).
 */
export function originCheck(allowed: AllowedOrigins): (origin: string) => boolean {
	if (typeof allowed === 'function') return (origin) => allowed(origin) === true;
	if (!Array.isArray(allowed)) throw new TypeError('allowedOrigins must be a list of origins or a function');
	if (allowed.includes('*')) return () => true;
	const origins = new Set(allowed.map(canonicalOrigin));
	return (origin) => origins.has(canonicalOriginOrNull(origin));
}

/** The refusal of an upgrade from an origin that is not allowed: 403. */
export function originRefusal(origin: string): WebsocketServerError {
	return new WebsocketServerError({ code: 'FORBIDDEN', message: `pages from ${JSON.stringify(origin).slice(0, 200)} may not connect to this server (allowedOrigins)` });
}

/** Every check must pass: the transport's own `allowedOrigins` and any the server added. */
export class OriginChecks {
	private readonly checks: ((origin: string) => boolean)[] = [];

	constructor(allowed?: AllowedOrigins) {
		if (allowed !== undefined) this.add(originCheck(allowed));
	}

	add(check: (origin: string) => boolean): void {
		this.checks.push(check);
	}

	/** Throws the 403 refusal when the request came from a page whose origin is not allowed. */
	enforce(origin: string | null | undefined): void {
		if (origin === undefined || origin === null || this.checks.length === 0) return;
		for (const check of this.checks) if (!check(origin)) throw originRefusal(origin);
	}
}

/** `https://App.example.com:443/` and `https://app.example.com` are the same origin. */
function canonicalOrigin(origin: string): string {
	if (typeof origin !== 'string') throw new TypeError(`allowedOrigins: ${String(origin)} is not an origin`);
	if (origin === 'null') return origin;
	let url: URL;
	try {
		url = new URL(origin);
	} catch {
		throw new TypeError(`allowedOrigins: "${origin}" is not an origin (expected scheme://host[:port], such as https://app.example.com)`);
	}
	if (url.origin === 'null') throw new TypeError(`allowedOrigins: "${origin}" has no origin (use http:// or https://)`);
	return url.origin;
}

/** An origin header in canonical form; one that does not parse matches nothing but a listed `'null'`. */
function canonicalOriginOrNull(origin: string): string {
	try {
		return origin === 'null' ? origin : new URL(origin).origin;
	} catch {
		return '\u0000unparsable';
	}
}
