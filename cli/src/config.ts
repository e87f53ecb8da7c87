import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveLimits, type AllowedOrigins, type Limits, type ServerPlugin } from '@socketdb/server';
import { CliError } from './cli-error';

/**
 * What `socketdb serve --config <file>` may set: the server options the command has no flags
 * for. A JSON file holds data only; a JS module (`.js`, `.mjs`, `.cjs`) may also hold plugins
 * and functions, as its default export (an object, or a function returning one).
 */
export type ServeConfig = {
	/** Bounds on what one client may send (see docs/errors.md#limits). */
	limits?: Partial<Limits>;
	/** Origins allowed besides the server's own, as `--allow-origin`; a JS config may give a function. */
	allowedOrigins?: AllowedOrigins;
	/** Host names served besides loopback and the bound address, as `--allow-host`. */
	allowedHosts?: string[];
	/** Server plugins (JS configs only). */
	plugins?: ServerPlugin[];
	/** Milliseconds between keep-alive pings; `0` disables them. */
	keepAliveInterval?: number;
	/** Keep each client's IP address as `client.ip`. */
	ipTracking?: boolean;
	/** Take `client.ip` from `X-Forwarded-For` (behind a proxy that sets it). */
	trustProxy?: boolean;
	/** With `--redis`: how long writes wait for Redis, how often a snapshot is written, how much log is kept (see docs/scale-out.md). */
	replication?: ReplicationSettings;
};

export type ReplicationSettings = { unavailableAfterMs?: number; snapshotEvery?: number; retain?: number };
const REPLICATION_SETTINGS = ['unavailableAfterMs', 'snapshotEvery', 'retain'] as const;

const KNOWN = ['limits', 'allowedOrigins', 'allowedHosts', 'plugins', 'keepAliveInterval', 'ipTracking', 'trustProxy', 'replication'] as const;
const FLAGS: Record<string, string> = { port: '--port', host: '--host', data: '--data', memory: '--memory', updateInterval: '--update-interval', inspector: '--no-inspector', token: 'SOCKETDB_TOKEN or --token-file' };

/** Reads and checks a config file; every problem is one line naming the file. */
export async function loadConfig(file: string): Promise<ServeConfig> {
	const path = resolve(file);
	const kind = extname(path).toLowerCase();
	let loaded: unknown;
	if (kind === '.json') {
		let text: string;
		try {
			text = readFileSync(path, 'utf8');
		} catch (error) {
			throw new CliError(`cannot read the config ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
		}
		try {
			loaded = JSON.parse(text);
		} catch (error) {
			throw new CliError(`the config ${file} is not valid JSON: ${(error as Error).message}`);
		}
	} else if (kind === '.js' || kind === '.mjs' || kind === '.cjs') {
		try {
			const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
			loaded = typeof module.default === 'function' ? await (module.default as () => unknown)() : module.default;
		} catch (error) {
			throw new CliError(`cannot load the config ${file}: ${(error as Error).message}`);
		}
	} else {
		throw new CliError(`the config ${file} must be a .json, .js, .mjs or .cjs file`);
	}
	const config = checkConfig(loaded, file);
	if (kind === '.json' && config.plugins !== undefined) throw new CliError(`the config ${file}: plugins are code; give them in a JS config (.js or .mjs)`);
	return config;
}

function checkConfig(loaded: unknown, file: string): ServeConfig {
	const fail = (problem: string): never => {
		throw new CliError(`the config ${file}: ${problem}`);
	};
	if (typeof loaded !== 'object' || loaded === null || Array.isArray(loaded)) return fail('must hold an object (the default export of a JS config)');
	const config = loaded as Record<string, unknown>;
	for (const key of Object.keys(config)) {
		if (FLAGS[key] !== undefined) fail(`"${key}" is not set in a config; use ${FLAGS[key]}`);
		if (!(KNOWN as readonly string[]).includes(key)) fail(`unknown option "${key}" (known: ${KNOWN.join(', ')})`);
	}
	if (config['limits'] !== undefined) {
		if (typeof config['limits'] !== 'object' || config['limits'] === null) fail('"limits" must be an object');
		try {
			resolveLimits(config['limits'] as Partial<Limits>);
		} catch (error) {
			fail((error as Error).message);
		}
	}
	const origins = config['allowedOrigins'];
	if (origins !== undefined && typeof origins !== 'function' && !isStringList(origins)) fail('"allowedOrigins" must be a list of origins or a function');
	if (config['allowedHosts'] !== undefined && !isStringList(config['allowedHosts'])) fail('"allowedHosts" must be a list of host names');
	const plugins = config['plugins'];
	if (plugins !== undefined && (!Array.isArray(plugins) || !plugins.every((plugin) => typeof plugin === 'object' && plugin !== null && typeof (plugin as ServerPlugin).hooks === 'object'))) {
		fail('"plugins" must be a list of plugins ({ name, hooks }), in a JS config');
	}
	const interval = config['keepAliveInterval'];
	if (interval !== undefined && !(typeof interval === 'number' && interval >= 0)) fail('"keepAliveInterval" must be 0 or a number of milliseconds');
	for (const flag of ['ipTracking', 'trustProxy']) if (config[flag] !== undefined && typeof config[flag] !== 'boolean') fail(`"${flag}" must be true or false`);
	const replication = config['replication'];
	if (replication !== undefined) {
		if (typeof replication !== 'object' || replication === null || Array.isArray(replication)) fail('"replication" must be an object');
		for (const [key, value] of Object.entries(replication as Record<string, unknown>)) {
			if (!(REPLICATION_SETTINGS as readonly string[]).includes(key)) fail(`unknown option "replication.${key}" (known: ${REPLICATION_SETTINGS.join(', ')})`);
			if (!(typeof value === 'number' && Number.isInteger(value) && value > 0)) fail(`"replication.${key}" must be a whole number above 0`);
		}
	}
	return config as ServeConfig;
}

function isStringList(value: unknown): value is string[] {
	return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
