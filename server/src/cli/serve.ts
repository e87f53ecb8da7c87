import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { createStore, type Store } from '@socketdb/core';
import { createLmdbStore } from '../lmdb-store';
import { SocketDBServer } from '../server';
import { createInspector } from '../inspector/inspector';
import { createWebsocketServer } from '../transport/websocket-server';
import { CliError } from './cli-error';
import { lockDataDirectory } from './directory-lock';

export type ServeOptions = {
	port: number;
	host: string;
	/** The data directory, or `null` to keep everything in memory. */
	data: string | null;
	updateInterval: number;
	/** Serve the inspector at `/` (on loopback, or anywhere with `inspectorToken`). */
	inspector: boolean;
	inspectorToken?: string | undefined;
};

/**
 * `socketdb serve`: the database server until SIGINT or SIGTERM. On either, it says goodbye to
 * every client (so no new writes arrive), waits for the store to make every acknowledged write
 * durable, closes the store and exits.
 */
export async function serve(options: ServeOptions): Promise<void> {
	const directory = options.data === null ? null : resolve(options.data);
	let store: Store;
	let unlock = () => undefined as void;
	try {
		store = directory === null ? createStore() : createLmdbStore({ path: directory });
	} catch (error) {
		throw new CliError(`cannot open the data directory ${directory}: ${(error as Error).message}`);
	}
	if (directory !== null) {
		try {
			unlock = lockDataDirectory(directory);
		} catch (error) {
			await store.close?.();
			throw error;
		}
	}
	const inspectorOff = inspectorRefusal(options);
	const inspector = inspectorOff === undefined ? createInspector({ token: options.inspectorToken }) : undefined;
	// The CLI owns the HTTP server, so that a port in use is a clear error rather than a crash.
	const httpServer = createServer((req, res) => {
		if (inspector?.handle(req, res)) return;
		res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket' });
		res.end('This is a SocketDB server: connect with a WebSocket client.\n');
	});
	try {
		await new Promise<void>((resolveListening, reject) => {
			httpServer.once('error', reject);
			httpServer.listen(options.port, options.host, () => {
				httpServer.off('error', reject);
				resolveListening();
			});
		});
	} catch (error) {
		await store.close?.();
		unlock();
		const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the port is in use' : (error as Error).message;
		throw new CliError(`cannot listen on ${options.host}:${options.port}: ${reason}`);
	}
	const server = SocketDBServer({
		store,
		updateInterval: options.updateInterval,
		// Clients that report their route are counted by it (the inspector shows it).
		routeTracking: true,
		socketServer: createWebsocketServer({ server: httpServer, ...(inspector === undefined ? {} : { initializeSession: inspector.initializeSession }) }),
		plugins: inspector === undefined ? [] : [inspector.plugin],
	});
	inspector?.start(server);
	// Already listening: this only starts the server (its 'server:init' hooks).
	await new Promise<void>((started) => server.listen(options.port, started, options.host));

	const address = server.address();
	const where = directory === null ? 'in memory: nothing survives a restart' : `data in ${directory}`;
	const hostAndPort = `${urlHost(address?.host ?? options.host)}:${address?.port ?? options.port}`;
	console.log(`SocketDB listening on ws://${hostAndPort} (${where})`);
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
			.then(() => new Promise<void>((done) => {
				httpServer.close(() => done());
				httpServer.closeAllConnections();
			}))
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

/** Why the inspector stays off, or undefined when it is served. */
function inspectorRefusal(options: ServeOptions): string | undefined {
	if (!options.inspector) return '--no-inspector';
	if (options.inspectorToken !== undefined || isLoopback(options.host)) return undefined;
	return `listening on ${options.host}, which is not loopback; give --inspector-token <secret> to serve it`;
}

function isLoopback(host: string): boolean {
	return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function urlHost(host: string): string {
	if (host === '0.0.0.0' || host === '::') return 'localhost';
	return host.includes(':') ? `[${host}]` : host;
}
