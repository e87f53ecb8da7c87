import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CliError } from './cli-error';
import { loadConfig } from './config';
import { packageRoot } from './package-root';
import { endQuietlyWhenReaderCloses } from './output';
import { runDelete, runGet, runSet, type RemoteOptions } from './remote';
import { serve } from './serve';
import { readToken, TOKEN_VARIABLE } from './token';
import { exportTree, importTree } from './transfer';

function port(value: string): number {
	const number = value.trim() === '' ? NaN : Number(value);
	if (!Number.isInteger(number) || number < 0 || number > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
	return number;
}

function host(value: string): string {
	if (value.trim() === '') throw new InvalidArgumentError('the host is an address or name to listen on, such as 127.0.0.1');
	return value;
}

/**
 * A default taken from an environment variable, read only by the command that uses it (so a bad
 * `PORT` does not break `socketdb get`). Unset or empty, it is `fallback`.
 */
function fromEnvironment<T>(name: string, parse: (value: string) => T, fallback: T, flag: string): T {
	const value = process.env[name];
	if (value === undefined || value === '') return fallback;
	try {
		return parse(value);
	} catch (error) {
		throw new CliError(`the environment variable ${name} is ${JSON.stringify(value)}: ${(error as Error).message} (fix or unset it, or give ${flag})`);
	}
}

function interval(value: string): number {
	const number = Number(value);
	if (!(number >= 0)) throw new InvalidArgumentError('the interval is a number of milliseconds, 0 or more');
	return number;
}

/** `--redis`, else `SOCKETDB_REDIS_URL`: checked here, so a typo is one clear line before anything starts. */
function redisUrl(flag: string | undefined): string | undefined {
	const value = flag ?? (process.env['SOCKETDB_REDIS_URL'] === '' ? undefined : process.env['SOCKETDB_REDIS_URL']);
	if (value === undefined) return undefined;
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		url = new URL('invalid:');
	}
	if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
		throw new CliError(`${flag === undefined ? 'SOCKETDB_REDIS_URL' : '--redis'} must be a Redis URL such as redis://127.0.0.1:6379, got ${JSON.stringify(value)}`);
	}
	return value;
}

function collect(value: string, previous: string[]): string[] {
	return [...previous, value];
}

function json(label: string) {
	return (value: string): unknown => {
		try {
			return JSON.parse(value) as unknown;
		} catch (error) {
			throw new InvalidArgumentError(`${label} is not valid JSON (${(error as Error).message})`);
		}
	};
}

export function createProgram(): Command {
	const program = new Command('socketdb')
		.description('A realtime synchronized state database: run a server, read and write it, back it up.')
		.version(packageVersion(), '-v, --version', 'print the version')
		.showHelpAfterError('(add --help for usage)')
		.configureOutput({ outputError: (text, write) => write(text.startsWith('error: ') ? `socketdb: ${text.slice(7)}` : text) });

	program
		.command('serve')
		.description('run the database server (data kept in --data, or in memory with --memory)')
		.option('--port <port>', 'port to listen on, 0 picks a free one (default: $PORT, else 8080)', port)
		.option('--host <host>', 'address to listen on; beyond loopback (e.g. 0.0.0.0) a token is required (default: $HOST, else 127.0.0.1)', host)
		.option('--data <dir>', 'data directory (created if missing)', './data')
		.option('--memory', 'keep the data in memory only: nothing survives a restart')
		.option('--update-interval <ms>', 'how long changes are batched before they go to subscribers', interval, 50)
		.option('--token-file <file>', `file whose first line is the token every client must present (or set ${TOKEN_VARIABLE})`)
		.option('--insecure-no-auth', 'listen beyond loopback without a token: anyone who can reach the server may read and write all data')
		.option('--allow-origin <origin>', 'let pages of this origin connect besides the server\'s own (repeatable; * for any)', collect, [])
		.option('--allow-host <name>', 'answer requests for this host name besides loopback and the bound address (repeatable; * for any)', collect, [])
		.option('--config <file>', 'JSON or JS file with further server options: limits, allowedOrigins, allowedHosts, plugins, ...')
		.option('--redis <url>', 'be one of several processes serving one database, through this Redis (or set SOCKETDB_REDIS_URL); see docs/scale-out.md')
		.option('--cluster <name>', 'which database on that Redis: processes with the same Redis and cluster name are one database', 'default')
		.option('--no-inspector', 'do not serve the inspector page at /')
		.addOption(new Option('--inspector-token <secret>').hideHelp())
		.action(
			async (options: {
				port?: number;
				host?: string;
				data: string;
				memory?: boolean;
				updateInterval: number;
				tokenFile?: string;
				insecureNoAuth?: boolean;
				allowOrigin: string[];
				allowHost: string[];
				config?: string;
				redis?: string;
				cluster: string;
				inspector: boolean;
				inspectorToken?: string;
			}) => {
				if (options.inspectorToken !== undefined) {
					throw new CliError(`--inspector-token is no longer taken: a secret on the command line shows in ps. Put the token in ${TOKEN_VARIABLE} or in a file given with --token-file`);
				}
				await serve({
					port: options.port ?? fromEnvironment('PORT', port, 8080, '--port'),
					host: options.host ?? fromEnvironment('HOST', host, '127.0.0.1', '--host'),
					data: options.memory === true ? null : options.data,
					updateInterval: options.updateInterval,
					inspector: options.inspector,
					token: readToken(options.tokenFile),
					insecureNoAuth: options.insecureNoAuth === true,
					allowOrigins: options.allowOrigin,
					allowHosts: options.allowHost,
					config: options.config === undefined ? {} : await loadConfig(options.config),
					redis: redisUrl(options.redis),
					cluster: options.cluster,
				});
			},
		);

	const remote = (command: Command) =>
		command
			.option('--url <url>', 'the server to talk to', 'ws://localhost:8080')
			.option('--timeout <ms>', 'how long to wait for the server', interval, 5000)
			.option('--token-file <file>', `file whose first line is the server's token (or set ${TOKEN_VARIABLE})`);

	remote(program.command('get <path>').description('print the value at <path> as JSON (null when there is none)')).action(
		async (path: string, options: RemoteOptions) => runGet(path, options),
	);
	remote(
		program
			.command('set <path> <json>')
			.description('write a JSON value at <path>; returns once the server has acknowledged it')
			.option('--meta <json>', 'meta to write beside the value', json('--meta')),
	).action(async (path: string, value: string, options: RemoteOptions & { meta?: unknown }) => runSet(path, value, options));
	remote(program.command('delete <path>').description('delete <path> and everything below it')).action(async (path: string, options: RemoteOptions) => runDelete(path, options));

	program
		.command('export')
		.description('write the data (values and meta) of a data directory as JSON; safe while a server has it open, works on a read-only directory')
		.option('--data <dir>', 'data directory', './data')
		.option('--path <path>', 'export only this subtree', '')
		.option('--out <file>', 'write to a file instead of standard output')
		.action(async (options: { data: string; path: string; out?: string }) => exportTree(options));

	program
		.command('import <file>')
		.description('replace the data at --path (the exported path by default) with an export file; a server running on the directory keeps working')
		.option('--data <dir>', 'data directory (created if missing)', './data')
		.option('--path <path>', 'where to put the data')
		.action(async (file: string, options: { data: string; path?: string }) => importTree(file, options));

	return program;
}

/** The version of @socketdb/cli. */
function packageVersion(): string {
	return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[]): Promise<void> {
	endQuietlyWhenReaderCloses();
	const program = createProgram().exitOverride();
	try {
		await program.parseAsync(argv);
	} catch (error) {
		if (error instanceof CommanderError) {
			process.exitCode = error.exitCode;
			return;
		}
		process.stderr.write(`socketdb: ${error instanceof CliError ? error.message : String((error as Error)?.message ?? error)}\n`);
		process.exitCode = 1;
	}
}
