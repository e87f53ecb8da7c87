import { readFileSync } from 'node:fs';
import { CliError } from './cli-error';

/** The environment variable that holds the server's token. */
export const TOKEN_VARIABLE = 'SOCKETDB_TOKEN';

/**
 * The token from `--token-file` (its first line) or, without one, from `SOCKETDB_TOKEN`. Never
 * from a bare argument: command lines show in `ps` to every user of the machine.
 */
export function readToken(tokenFile: string | undefined, environment: NodeJS.ProcessEnv = process.env): string | undefined {
	if (tokenFile !== undefined) {
		let text: string;
		try {
			text = readFileSync(tokenFile, 'utf8');
		} catch (error) {
			throw new CliError(`cannot read the token file ${tokenFile}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
		}
		const token = text.split(/\r?\n/, 1)[0]!.trim();
		if (token === '') throw new CliError(`the token file ${tokenFile} is empty`);
		return token;
	}
	const token = environment[TOKEN_VARIABLE]?.trim();
	return token === '' ? undefined : token;
}
