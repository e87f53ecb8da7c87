import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './cli-error';

const LOCK_FILE = 'socketdb-serve.pid';

/**
 * Makes sure only one `socketdb serve` runs on a data directory: two servers on one directory
 * would each fan out only their own writes. The lock is a file holding the server's pid; a lock
 * left by a server that died (a crash, `kill -9`) is taken over. `export` and `import` take no
 * lock: LMDB lets them work beside a running server. Returns the function that releases it.
 */
export function lockDataDirectory(directory: string): () => void {
	const path = join(directory, LOCK_FILE);
	for (let attempt = 0; attempt < 2; attempt++) {
		try {
			writeFileSync(path, String(process.pid), { flag: 'wx' });
			return () => rmSync(path, { force: true });
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			const holder = Number(readFileSync(path, 'utf8'));
			if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
				throw new CliError(`the data directory ${directory} is in use by another socketdb serve (pid ${holder})`);
			}
			rmSync(path, { force: true });
		}
	}
	throw new CliError(`cannot lock the data directory ${directory}`);
}

function isRunning(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}
