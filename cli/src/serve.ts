import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { createStore, type Store } from '@socketdb/core';
import { answerUpgradeRequired, createWebsocketServer, resolveLimits, SocketDBServer, type ErrorSource } from '@socketdb/server';
import { redisReplication } from '@socketdb/redis';
import { createLmdbStore } from '@socketdb/store-lmdb';
import { createInspector, type Inspector } from './inspector/inspector';
import { createAccess, hostRefusal } from './access';
import { CliError } from './cli-error';
import type { ServeConfig } from './config';
import { lockDataDirectory } from './directory-lock';
import type { FailedAttempts } from './failed-attempts';
import { FAVICON } from './favicon';
import { TOKEN_VARIABLE } from './token';

export type ServeOptions = {
	port: number;
	host: string;
	/** The data directory, or `null` to keep everything in memory. */
	data: string | null;
	updateInterval: number;
	/** Serve the inspector at `/` (on loopback, or anywhere with a token). */
	inspector: boolean;
	/** The secret every connection must present (`SOCKETDB_TOKEN` or `--token-file`). */
	token: string | undefined;
	/** Serve beyond loopback without a token. */
	insecureNoAuth: boolean;
	/** Origins allowed besides the server's own pages (`--allow-origin`). */
	allowOrigins: string[];
	/** Host names served besides loopback and the bound address (`--allow-host`). */
	allowHosts: string[];
	/** What `--config` set. */
	config: ServeConfig;
	/** The Redis whose log this process shares with the others of its cluster (`--redis`). */
	redis?: string | undefined;
	/** The cluster's name on that Redis (`--cluster`). */
	cluster?: string;
};

/**
 * `socketdb serve`: the database server until SIGINT or SIGTERM. On either, it says goodbye to
 * every client (so no new writes arrive), waits for the store to make every acknowledged write
 * durable, closes the store and exits.
 *
 * Safe by default: beyond loopback it refuses to start without a token (as Redis's protected
 * mode does), browsers' upgrades must come from its own pages or an allowed origin, and it
 * answers only the host names it serves.
 */
export async function serve(options: ServeOptions): Promise<void> {
	const { token, config } = options;
	if (!isLoopback(options.host) && token === undefined && !options.insecureNoAuth) {
		throw new CliError(
			`refusing to listen on ${options.host} without credentials: anyone who can reach it could read and write all data. Set ${TOKEN_VARIABLE} or give --token-file <file> (or --insecure-no-auth to serve without credentials)`,
		);
	}
	const limits = resolveLimits(config.limits);
	const directory = options.data === null ? null : resolve(options.data);
	const allowHosts = [...options.allowHosts, ...(config.allowedHosts ?? [])];
	// The CLI owns the HTTP server, so that a port in use is a clear error rather than a crash.
	const httpServer = createServer((req, res) => answerHttp(req, res));
	const access = createAccess({
		host: options.host,
		port: () => (httpServer.address() as { port: number } | null)?.port ?? options.port,
		token,
		allowHosts,
		allowOrigins: options.allowOrigins,
		configOrigins: config.allowedOrigins,
	});
	const inspectorOff = inspectorRefusal(options);
	const inspector = inspectorOff === undefined ? startInspector(token, access.failedAttempts) : undefined;
	function answerHttp(req: IncomingMessage, res: ServerResponse): void {
		if (!access.servesHost(req)) {
			const refusal = hostRefusal(req.headers.host);
			res.writeHead(refusal.status, { 'Content-Type': 'text/plain; charset=utf-8' });
			res.end(`${refusal.message}\n`);
			return;
		}
		if (inspector?.handle(req, res)) return;
		if (new URL(req.url ?? '/', 'http://x').pathname === '/favicon.ico' && (req.method === 'GET' || req.method === 'HEAD')) {
			res.writeHead(200, { 'Content-Type': 'image/x-icon', 'Cache-Control': 'max-age=86400' });
			res.end(FAVICON);
			return;
		}
		answerUpgradeRequired(res);
	}
	await listen(httpServer, options);

	// Only once the port is ours is the data directory opened (and created).
	let store: Store;
	let unlock = () => undefined as void;
	try {
		store = directory === null ? createStore() : createLmdbStore({ path: directory });
	} catch (error) {
		await closeHttp(httpServer);
		throw new CliError(`cannot open the data directory ${directory}: ${(error as Error).message}`);
	}
	if (directory !== null) {
		try {
			unlock = lockDataDirectory(directory);
		} catch (error) {
			await store.close?.();
			await closeHttp(httpServer);
			throw error;
		}
	}
	const server = SocketDBServer({
		store,
		updateInterval: options.updateInterval,
		// Clients that report their route are counted by it (the inspector shows it).
		routeTracking: true,
		limits,
		...(config.keepAliveInterval === undefined ? {} : { keepAliveInterval: config.keepAliveInterval }),
		...(config.ipTracking === undefined ? {} : { ipTracking: config.ipTracking }),
		...(config.trustProxy === undefined ? {} : { trustProxy: config.trustProxy }),
		allowedOrigins: access.originAllowed,
		socketServer: createWebsocketServer({
			server: httpServer,
			maxPayload: limits.maxFrameBytes,
			initializeSession: ({ req }) => {
				access.checkUpgrade(req, inspector?.loggedIn ?? (() => false));
				return inspector?.initializeSession({ req });
			},
		}),
		plugins: [...(config.plugins ?? []), ...(inspector === undefined ? [] : [inspector.plugin])],
		...(options.redis === undefined ? {} : { replication: redisReplication({ ...config.replication, url: options.redis, name: options.cluster ?? 'default' }) }),
		onError: (error, source) => {
			if (source.fatal !== true) return reportError(error, source);
			// The process cannot serve this database (Redis unreachable at start, an unreadable log): one line, exit 1.
			console.error(`socketdb: ${error.message}`);
			process.exit(1);
		},
	});
	inspector?.start(server);
	// Already listening: this only starts the server (its 'server:init' hooks).
	await new Promise<void>((started) => server.listen(options.port, started, options.host));

	const address = server.address();
	const stored = directory === null ? 'in memory: nothing survives a restart' : `data in ${directory}`;
	const where = options.redis === undefined ? stored : `${stored}; cluster "${options.cluster ?? 'default'}" on ${redisHost(options.redis)}`;
	const hostAndPort = `${urlHost(address?.host ?? options.host)}:${address?.port ?? options.port}`;
	if (token === undefined && options.insecureNoAuth) console.error(`WARNING: --insecure-no-auth: no credentials are asked; anyone who can reach ${hostAndPort} can read and write all data`);
	console.log(`SocketDB listening on ws://${hostAndPort} (${where})`);
	if (token !== undefined) console.log(`Clients present the token: ws://${hostAndPort}/?token=<token> or the header Authorization: Bearer <token>`);
	console.log(inspectorOff === undefined ? `Inspector at http://${hostAndPort}/` : `Inspector off: ${inspectorOff}`);

	let stopping = false;
	const stop = (signal: string) => {
		if (stopping) return;
		stopping = true;
		console.log(`${signal}: closing connections and flushing the store`);
		inspector?.stop();
		void server
			.close()
			.then(() => store.close?.())
			.then(unlock)
			.then(() => closeHttp(httpServer))
			.then(
				() => process.exit(0),
				(error: unknown) => {
					console.error(`socketdb: shutting down failed: ${(error as Error).message}`);
					process.exit(1);
				},
			);
	};
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGTERM', () => stop('SIGTERM'));
}

async function listen(httpServer: Server, options: ServeOptions): Promise<void> {
	try {
		await new Promise<void>((resolveListening, reject) => {
			httpServer.once('error', reject);
			httpServer.listen(options.port, options.host, () => {
				httpServer.off('error', reject);
				resolveListening();
			});
		});
	} catch (error) {
		const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the port is in use' : (error as Error).message;
		throw new CliError(`cannot listen on ${options.host}:${options.port}: ${reason}`);
	}
}

function closeHttp(httpServer: Server): Promise<void> {
	return new Promise<void>((done) => {
		httpServer.close(() => done());
		httpServer.closeAllConnections();
	});
}

function startInspector(token: string | undefined, failedAttempts: FailedAttempts): Inspector {
	try {
		return createInspector({ token, failedAttempts });
	} catch (error) {
		throw new CliError(`${(error as Error).message}, or serve with --no-inspector`);
	}
}

/** Why the inspector stays off, or undefined when it is served. */
function inspectorRefusal(options: ServeOptions): string | undefined {
	if (!options.inspector) return '--no-inspector';
	if (options.token !== undefined || isLoopback(options.host)) return undefined;
	return `listening on ${options.host} without a token; set ${TOKEN_VARIABLE} or give --token-file <file> to serve it`;
}

/** What the server reports that is not fatal (a hook's failure, a lost connection to Redis) goes to stderr. */
function reportError(error: Error, source: ErrorSource): void {
	const where = [source.hook && `hook ${source.hook}`, source.client && `client ${source.client.id}`].filter(Boolean).join(', ');
	console.error(`[socketdb] ${where ? `${where}: ` : ''}${error.message}`);
}

/** The Redis URL without its password, for the log. */
function redisHost(url: string): string {
	const parsed = new URL(url);
	return `${parsed.protocol}//${parsed.host}`;
}

function isLoopback(host: string): boolean {
	return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

/** The bound address as a URL host (IPv6 in brackets). */
function urlHost(host: string): string {
	return host.includes(':') ? `[${host}]` : host;
}
