import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { CliError } from './cli-error';
import { runDelete, runGet, runSet, type RemoteOptions } from './remote';
import { serve } from './serve';
import { exportTree, importTree } from './transfer';

function port(value: string): number {
	const number = Number(value);
	if (!Number.isInteger(number) || number < 0 || number > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
	return number;
}

function interval(value: string): number {
	const number = Number(value);
	if (!(number >= 0)) throw new InvalidArgumentError('the interval is a number of milliseconds, 0 or more');
	return number;
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
		.showHelpAfterError('(add --help for usage)')
		.configureOutput({ outputError: (text, write) => write(text.startsWith('error: ') ? `socketdb: ${text.slice(7)}` : text) });

	program
		.command('serve')
		.description('run the database server (data kept in --data, or in memory with --memory)')
		.option('--port <port>', 'port to listen on (0 picks a free one)', port, process.env['PORT'] === undefined ? 8080 : port(process.env['PORT']))
		.option('--host <host>', 'address to listen on; 0.0.0.0 accepts other machines', process.env['HOST'] ?? '127.0.0.1')
		.option('--data <dir>', 'data directory (created if missing)', './data')
		.option('--memory', 'keep the data in memory only: nothing survives a restart')
		.option('--update-interval <ms>', 'how long changes are batched before they go to subscribers', interval, 50)
		.option('--no-inspector', 'do not serve the inspector page at /')
		.option('--inspector-token <secret>', 'serve the inspector on a non-loopback address, to browsers that log in with this secret')
		.action(async (options: { port: number; host: string; data: string; memory?: boolean; updateInterval: number; inspector: boolean; inspectorToken?: string }) => {
			await serve({
				port: options.port,
				host: options.host,
				data: options.memory === true ? null : options.data,
				updateInterval: options.updateInterval,
				inspector: options.inspector,
				inspectorToken: options.inspectorToken,
			});
		});

	const remote = (command: Command) => command.option('--url <url>', 'the server to talk to', 'ws://localhost:8080').option('--timeout <ms>', 'how long to wait for the server', interval, 5000);

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
		.description('write the data (values and meta) of a data directory as JSON; safe while a server has it open')
		.option('--data <dir>', 'data directory', './data')
		.option('--path <path>', 'export only this subtree', '')
		.option('--out <file>', 'write to a file instead of standard output')
		.action(async (options: { data: string; path: string; out?: string }) => exportTree(options));

	program
		.command('import <file>')
		.description('replace the data at --path (the exported path by default) with an export file, in one transaction')
		.option('--data <dir>', 'data directory (created if missing)', './data')
		.option('--path <path>', 'where to put the data')
		.action(async (file: string, options: { data: string; path?: string }) => importTree(file, options));

	return program;
}

export async function main(argv: string[]): Promise<void> {
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
