import { connect as connectTcp } from 'node:net';
import { SocketDBClient, type SocketDBClientAPI } from '@socketdb/client';
import { invalidPathReason, type Meta } from '@socketdb/core';
import { CliError } from './cli-error';

export type RemoteOptions = { url: string; timeout: number };

/** `socketdb get <path>`: prints the value at `path` as JSON. */
export async function runGet(path: string, options: RemoteOptions): Promise<void> {
	checkPathArgument(path);
	const value = await withClient(options, (db, refused) => Promise.race([new Promise<unknown>((resolve) => db.get(path).once((data) => resolve(data))), refused]));
	process.stdout.write(`${JSON.stringify(value ?? null)}\n`);
}

/** `socketdb set <path> <json>`: resolves once the server acknowledged the write. */
export async function runSet(path: string, json: string, options: RemoteOptions & { meta?: unknown }): Promise<void> {
	checkPathArgument(path);
	let value: unknown;
	try {
		value = JSON.parse(json);
	} catch (error) {
		throw new CliError(`the value is not valid JSON (${(error as Error).message}); quote strings, e.g. '"text"'`);
	}
	if (options.meta !== undefined && (typeof options.meta !== 'object' || options.meta === null || Array.isArray(options.meta))) {
		throw new CliError('--meta must be a JSON object');
	}
	await withClient(options, (db) => refusal('write', db.get(path).set(value as never, options.meta as Meta | undefined)));
	process.stdout.write(`${JSON.stringify({ set: path })}\n`);
}

/** `socketdb delete <path>`. */
export async function runDelete(path: string, options: RemoteOptions): Promise<void> {
	checkPathArgument(path);
	await withClient(options, (db) => refusal('delete', db.get(path).delete()));
	process.stdout.write(`${JSON.stringify({ deleted: path })}\n`);
}

/** Refuses a malformed path before connecting: `team/` would otherwise be a path with an empty segment. */
function checkPathArgument(path: string): void {
	const reason = invalidPathReason(path);
	if (reason !== null) throw new CliError(`invalid path (INVALID_PATH): ${reason}; the root is ""`);
}

async function refusal(what: string, write: PromiseLike<unknown>): Promise<void> {
	try {
		await write;
	} catch (error) {
		const code = (error as { code?: string }).code;
		throw new CliError(`the ${what} was refused${code === undefined ? '' : ` (${code})`}: ${(error as Error).message}`);
	}
}

/**
 * Runs `task` with a client connected to `options.url`, then disconnects. A server that cannot
 * be reached fails at once; one that does not answer fails after `options.timeout`.
 */
async function withClient<T>(options: RemoteOptions, task: (db: SocketDBClientAPI, refused: Promise<never>) => Promise<T>): Promise<T> {
	const url = parseUrl(options.url);
	await reachable(url, options.timeout);
	// Errors the server sends outside a write's answer (a refused subscription, for one) reject
	// `refused`, for commands that wait on something other than a write.
	let failed!: (error: CliError) => void;
	const refused = new Promise<never>((_, reject) => (failed = reject));
	refused.catch(() => undefined);
	const db = SocketDBClient({
		plugins: [{ name: 'cli', hooks: { 'client:error': ({ code, message }) => failed(new CliError(`the server refused (${code}): ${message}`)) } }],
	});
	db.connect(url.href);
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new CliError(`no answer from ${url.href} within ${options.timeout} ms`)), options.timeout);
	});
	try {
		return await Promise.race([task(db, refused), timeout]);
	} finally {
		clearTimeout(timer);
		db.disconnect();
	}
}

function parseUrl(text: string): URL {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new CliError(`${text} is not a URL (expected something like ws://localhost:8080)`);
	}
	if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new CliError(`${text} is not a ws:// or wss:// URL`);
	return url;
}

/** Fails with a clear message when nothing listens at the URL's host and port. */
function reachable(url: URL, timeout: number): Promise<void> {
	const port = Number(url.port || (url.protocol === 'wss:' ? 443 : 80));
	const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
	return new Promise((resolve, reject) => {
		const socket = connectTcp({ host, port, timeout });
		socket.once('connect', () => {
			socket.destroy();
			resolve();
		});
		socket.once('timeout', () => {
			socket.destroy();
			reject(new CliError(`cannot connect to ${url.href}: no answer within ${timeout} ms`));
		});
		socket.once('error', (error: NodeJS.ErrnoException) => {
			const reason = error.code === 'ECONNREFUSED' ? 'connection refused (is `socketdb serve` running?)' : error.code === 'ENOTFOUND' ? 'unknown host' : error.message;
			reject(new CliError(`cannot connect to ${url.href}: ${reason}`));
		});
	});
}
