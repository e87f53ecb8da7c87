import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Client, ServerPlugin, SessionContext } from '@socketdb/server';
import { FailedAttempts } from '../failed-attempts';
import { packageRoot } from '../package-root';
import { requestAddress, sameSecret } from '../secret';
import { INSPECTOR_PAGE, LOGIN_PAGE } from './pages';

export type InspectorOptions = {
	/** When set, only a browser that logged in with this token is the inspector (and gets stats). */
	token?: string | undefined;
	/** Counts wrong tokens per address; share one with other checks of the same token. @default its own */
	failedAttempts?: FailedAttempts;
	/** How long a login lasts. @default 12 hours */
	sessionMs?: number;
	/** Logins kept at once, so that logging in again and again cannot grow memory; past it the oldest is logged out. @default 1000 */
	maxSessions?: number;
};

/** What the inspector needs of a server to report write rates and connections to its pages. */
type InspectedServer = { getClients: (filter?: (context: SessionContext) => boolean) => Client[] };

/** The most connections listed to the inspector's pages (the newest). */
const LISTED_CONNECTIONS = 100;

/** One connection as the inspector's pages list it. */
export type ListedConnection = { id: string; version?: string; route?: string; ip?: string; subscriptions: number; connectedAt: number; inspector?: true };

export type Inspector = {
	/** Answers the inspector's HTTP requests; false for any other request. */
	handle: (req: IncomingMessage, res: ServerResponse) => boolean;
	/** True when the request carries the cookie of a login that has not expired. */
	loggedIn: (req: IncomingMessage) => boolean;
	/** For the WebSocket transport: marks the inspector's own connections (`context.inspector`); others get no context. */
	initializeSession: (args: { req: IncomingMessage }) => SessionContext | undefined;
	/** Authorizes stats for inspector connections and counts writes for their chart. */
	plugin: ServerPlugin;
	/** Starts telling inspector pages the write rate, once a second. */
	start: (server: InspectedServer) => void;
	stop: () => void;
};

const COOKIE = 'socketdb-inspector';
const SESSION_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 1_000;

/**
 * The inspector: a page that shows the data live, edits it through the normal write path, and
 * shows who is connected. Without a token every page on the port is the inspector (meant for
 * loopback); with one, a browser first logs in with it (the token travels in a POST body, never in a
 * URL) and gets an HttpOnly session cookie that its WebSocket upgrade then carries. Logins expire,
 * and wrong tokens are counted per address: after a few, that address has to wait.
 *
 * The page's script is read here, once: without a build (`npm run build`) this throws.
 */
export function createInspector(options: InspectorOptions = {}): Inspector {
	const { token, failedAttempts = new FailedAttempts(), sessionMs = SESSION_MS, maxSessions = MAX_SESSIONS } = options;
	if (!(maxSessions >= 1)) throw new RangeError(`maxSessions must be 1 or more, not ${maxSessions}`);
	/** Session id -> when it expires; in login order. */
	const sessions = new Map<string, number>();
	// Read now, so a missing build is an error at start and never one inside a request.
	const bundle = readBundle();
	let writes = 0;
	let timer: ReturnType<typeof setInterval> | undefined;

	const loggedIn = (req: IncomingMessage) => {
		const session = cookie(req.headers.cookie, COOKIE);
		const expires = session === undefined ? undefined : sessions.get(session);
		if (expires === undefined) return false;
		if (expires > Date.now()) return true;
		sessions.delete(session!);
		return false;
	};
	// Without a token the page's own marker is enough, but only from the page itself: a browser
	// sends the Origin of the page that opened the socket, and another site's page must not pass.
	const isInspector = (req: IncomingMessage) =>
		token === undefined ? new URL(req.url ?? '/', 'http://x').searchParams.has('inspector') && sameOrigin(req) : loggedIn(req);

	function handle(req: IncomingMessage, res: ServerResponse): boolean {
		const path = new URL(req.url ?? '/', 'http://x').pathname;
		if (path === '/inspector/session' && req.method === 'POST') {
			login(req, res);
			return true;
		}
		if (req.method !== 'GET' && req.method !== 'HEAD') return false;
		if (path === '/') {
			const page = token !== undefined && !loggedIn(req) ? LOGIN_PAGE : INSPECTOR_PAGE;
			res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY' });
			res.end(page);
			return true;
		}
		if (path === '/inspector.js') {
			res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' });
			res.end(bundle);
			return true;
		}
		return false;
	}

	function login(req: IncomingMessage, res: ServerResponse): void {
		let body = '';
		req.setEncoding('utf8');
		req.on('data', (chunk: string) => {
			body += chunk;
			if (body.length > 4096) req.destroy();
		});
		req.on('end', () => {
			const address = requestAddress(req);
			const wait = failedAttempts.waitFor(address);
			if (wait > 0) {
				res.writeHead(429, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': String(Math.ceil(wait / 1000)) });
				res.end('Too many wrong tokens from this address; try again later.\n');
				return;
			}
			const given = new URLSearchParams(body).get('token') ?? '';
			if (token === undefined || !sameSecret(given, token)) {
				failedAttempts.failed(address);
				res.writeHead(303, { Location: '/?denied' });
				res.end();
				return;
			}
			const session = randomBytes(24).toString('base64url');
			sessions.set(session, Date.now() + sessionMs);
			if (sessions.size > maxSessions) sessions.delete(sessions.keys().next().value!);
			const maxAge = Math.floor(sessionMs / 1000);
			res.writeHead(303, { Location: '/', 'Set-Cookie': `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}` });
			res.end();
		});
	}

	const plugin: ServerPlugin = {
		name: 'socketdb-inspector',
		hooks: {
			'server:authorizeStats': (_args, { client, authorize }) => {
				if (client.context['inspector'] === true) authorize();
			},
			'server:change': () => {
				writes++;
			},
		},
	};

	return {
		handle,
		loggedIn,
		initializeSession: ({ req }) => (isInspector(req) ? ({ inspector: true } as SessionContext) : undefined),
		plugin,
		start(server) {
			timer = setInterval(() => {
				const perSecond = writes;
				writes = 0;
				// Filtered by context, so only the inspector pages' clients are looked at, not every connection's.
				const pages = server.getClients((context) => context['inspector'] === true);
				if (pages.length === 0) return;
				const connections = listConnections(server.getClients());
				for (const page of pages) {
					page.send({ inspector: 'writes', perSecond });
					page.send({ inspector: 'connections', ...connections });
				}
			}, 1000);
			timer.unref();
		},
		stop() {
			clearInterval(timer);
		},
	};
}

/** The newest connections (the server lists them in the order they came), and how many there are. */
function listConnections(clients: Client[]): { total: number; list: ListedConnection[] } {
	const list = clients.slice(-LISTED_CONNECTIONS).reverse().map((client) => {
		const listed: ListedConnection = { id: client.id, subscriptions: client.subscriptions, connectedAt: client.connectedAt };
		// Only fields with values: what a client is sent is JSON, which has no undefined.
		if (client.version !== undefined) listed.version = client.version;
		if (client.route !== undefined) listed.route = client.route;
		if (client.ip !== undefined) listed.ip = client.ip;
		if (client.context['inspector'] === true) listed.inspector = true;
		return listed;
	});
	return { total: clients.length, list };
}

/** True when the request has no Origin (not a browser) or comes from a page of this very host. */
function sameOrigin(req: IncomingMessage): boolean {
	const origin = req.headers.origin;
	if (origin === undefined) return true;
	try {
		return new URL(origin).host === req.headers.host;
	} catch {
		return false;
	}
}

function cookie(header: string | undefined, name: string): string | undefined {
	for (const part of header?.split(';') ?? []) {
		const [key, ...value] = part.trim().split('=');
		if (key === name) return value.join('=');
	}
	return undefined;
}

/** The page's script, built into the package's dist/inspector (from sources and from dist alike). */
function readBundle(): Buffer {
	const path = join(packageRoot(), 'dist', 'inspector', 'inspector.js');
	try {
		return readFileSync(path);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`the inspector page is not built (${path} is missing); run npm run build`, { cause: error });
		throw new Error(`cannot read the inspector page's script ${path}: ${(error as Error).message}`, { cause: error });
	}
}
