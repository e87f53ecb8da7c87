import { SocketDBClient, type SocketDBClientAPI } from '@socketdb/client';
import { invalidPathReason, type Meta } from '@socketdb/core';
import WebSocket from 'ws';
import { CliError } from './cli-error';
import { writeOut } from './output';
import { readToken, TOKEN_VARIABLE } from './token';

export type RemoteOptions = { url: string; timeout: number; tokenFile?: string };

/** `socketdb get <path>`: prints the value at `path` as JSON. */
export async function runGet(path: string, options: RemoteOptions): Promise<void> {
	checkPathArgument(path);
	const value = await withClient(options, (db, refused) => Promise.race([new Promise<unknown>((resolve) => db.get(path).once((data) => resolve(data))), refused]));
	writeOut(`${JSON.stringify(value ?? null)}\n`);
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
	writeOut(`${JSON.stringify({ set: path })}\n`);
}

/** `socketdb delete <path>`. */
export async function runDelete(path: string, options: RemoteOptions): Promise<void> {
	checkPathArgument(path);
	await withClient(options, (db) => refusal('delete', db.get(path).delete()));
	writeOut(`${JSON.stringify({ deleted: path })}\n`);
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
 * be reached, or that refuses the connection, fails at once; one that does not answer fails
 * after `options.timeout`.
 */
async function withClient<T>(options: RemoteOptions, task: (db: SocketDBClientAPI, refused: Promise<never>) => Promise<T>): Promise<T> {
	const url = parseUrl(options.url);
	// Messages name the URL as given: the token is not printed.
	const shown = url.href;
	const token = readToken(options.tokenFile);
	if (token !== undefined && !url.searchParams.has('token')) url.searchParams.set('token', token);
	await admitted(url, shown, options.timeout);
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
		timer = setTimeout(() => reject(new CliError(`no answer from ${shown} within ${options.timeout} ms`)), options.timeout);
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

/**
 * Opens one WebSocket to `url` and closes it again, so that a server that is not there, or that
 * refuses the connection (a missing or wrong token, a host it does not serve), fails at once
 * with its reason instead of after the timeout.
 */
function admitted(url: URL, shown: string, timeout: number): Promise<void> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, { handshakeTimeout: timeout });
		ws.once('open', () => {
			ws.terminate();
			resolve();
		});
		ws.once('unexpected-response', (request, response) => {
			let body = '';
			response.setEncoding('utf8');
			response.on('data', (chunk: string) => (body += chunk));
			response.on('end', () => {
				request.destroy();
				const status = `${response.statusCode ?? '?'} ${response.statusMessage ?? ''}`.trim();
				const hint = response.statusCode === 401 && !url.searchParams.has('token') ? `; give the token with ${TOKEN_VARIABLE} or --token-file` : '';
				reject(new CliError(`the server at ${shown} refused the connection (${status}): ${body.trim().slice(0, 300)}${hint}`));
			});
		});
		ws.once('error', (error: NodeJS.ErrnoException) => {
			const reason =
				error.code === 'ECONNREFUSED' ? 'connection refused (is `socketdb serve` running?)' : error.code === 'ENOTFOUND' ? 'unknown host' : /timed out/i.test(error.message) ? `no answer within ${timeout} ms` : error.message;
			reject(new CliError(`cannot connect to ${shown}: ${reason}`));
		});
	});
}
