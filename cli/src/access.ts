import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { originCheck, WebsocketServerError, type AllowedOrigins } from '@socketdb/server';
import { FailedAttempts } from './failed-attempts';
import { presentedToken, requestAddress, sameSecret } from './secret';

export type AccessOptions = {
	/** The address the server listens on. */
	host: string;
	/** The port it listens on, once it does (`--port 0` picks one). */
	port: () => number;
	/** The secret every connection must present; none: no credentials (loopback, or `--insecure-no-auth`). */
	token: string | undefined;
	/** Host names served besides the loopback names and the bound address (`--allow-host`; `'*'`: any). */
	allowHosts: readonly string[];
	/** Origins allowed besides the server's own (`--allow-origin`; `'*'`: any). */
	allowOrigins: readonly string[];
	/** Origins a config file allows besides those. */
	configOrigins?: AllowedOrigins | undefined;
};

/**
 * Who may reach a `socketdb serve`: the HTTP side answers only the host names it serves (which
 * defeats DNS rebinding: another site's name pointed at this machine is refused), browsers'
 * upgrades must come from the server's own pages or an allowed origin, and, with a token, every
 * connection must present it. Wrong tokens are counted per address (see `FailedAttempts`).
 */
export function createAccess(options: AccessOptions) {
	const served = servedHostNames(options.host, options.allowHosts);
	const anyHost = options.allowHosts.includes('*');
	const listed = options.allowOrigins.length === 0 ? () => false : originCheck(options.allowOrigins);
	const configured = options.configOrigins === undefined ? () => false : originCheck(options.configOrigins);
	const failedAttempts = new FailedAttempts();

	/** True when the request names a host this server serves. */
	function servesHost(req: IncomingMessage): boolean {
		if (anyHost) return true;
		const name = hostNameOf(req.headers.host);
		return name !== undefined && served.has(name);
	}

	/** The server's own pages: http(s) on a served name and this very port. */
	function ownOrigin(origin: string): boolean {
		let url: URL;
		try {
			url = new URL(origin);
		} catch {
			return false;
		}
		if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
		const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
		return port === options.port() && (anyHost || served.has(bareHost(url.hostname)));
	}

	return {
		failedAttempts,
		servesHost,
		/** The `allowedOrigins` check: the server's own pages, `--allow-origin` and the config's. */
		originAllowed: (origin: string) => ownOrigin(origin) || listed(origin) || configured(origin),
		/**
		 * At the upgrade: refuses (403) a host this server does not serve, then, with a token, a
		 * connection that neither presents it nor carries a logged-in inspector's cookie (401, or
		 * 429 for an address that guessed wrong too often).
		 */
		checkUpgrade(req: IncomingMessage, inspectorLoggedIn: (req: IncomingMessage) => boolean): void {
			if (!servesHost(req)) throw hostRefusal(req.headers.host);
			const { token } = options;
			if (token === undefined) return;
			const presented = presentedToken(req);
			if (presented === undefined && inspectorLoggedIn(req)) return;
			const address = requestAddress(req);
			const wait = failedAttempts.waitFor(address);
			if (wait > 0) throw tooManyAttempts(wait);
			if (presented !== undefined && sameSecret(presented, token)) return;
			failedAttempts.failed(address);
			throw new WebsocketServerError({
				code: 'UNAUTHORIZED',
				headers: { 'WWW-Authenticate': 'Bearer realm="socketdb"' },
				message: presented === undefined ? 'this server needs its token: connect to ws://host:port/?token=... or send Authorization: Bearer ...' : 'wrong token',
			});
		},
	};
}

export type Access = ReturnType<typeof createAccess>;

/** The reply to a request for a host this server does not serve. */
export function hostRefusal(host: string | undefined): WebsocketServerError {
	const shown = JSON.stringify(host ?? '').slice(0, 200);
	return new WebsocketServerError({ code: 'FORBIDDEN', message: `this server does not serve the host ${shown}; start it with --allow-host <name> to serve it` });
}

function tooManyAttempts(waitMs: number): Response {
	const seconds = Math.ceil(waitMs / 1000);
	return new Response(`Too many wrong tokens from this address; try again in ${seconds} s.\n`, { status: 429, headers: { 'Retry-After': String(seconds) } });
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/**
 * The names this server answers to: loopback names, the bound address (on a wildcard address,
 * every address of this machine and its host name), and `--allow-host` names.
 */
function servedHostNames(host: string, allowHosts: readonly string[]): Set<string> {
	const names = new Set([...LOOPBACK_NAMES, ...allowHosts.map((name) => bareHost(name.toLowerCase()))]);
	if (host === '0.0.0.0' || host === '::') {
		for (const addresses of Object.values(networkInterfaces())) for (const address of addresses ?? []) names.add(address.address.toLowerCase());
		names.add(hostname().toLowerCase());
	} else {
		names.add(bareHost(host.toLowerCase()));
	}
	return names;
}

/** The host name of a `Host` header, lowercased and without port or IPv6 brackets. */
function hostNameOf(header: string | undefined): string | undefined {
	if (header === undefined || header === '') return undefined;
	try {
		return bareHost(new URL(`http://${header}`).hostname);
	} catch {
		return undefined;
	}
}

function bareHost(name: string): string {
	const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
	return bare.endsWith('.') && isIP(bare.slice(0, -1)) === 0 ? bare.slice(0, -1) : bare;
}
