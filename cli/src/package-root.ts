import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of @socketdb/cli's package.json, found from this module whether it runs from src/ or a chunk in dist/. */
export function packageRoot(): string {
	let directory = dirname(fileURLToPath(import.meta.url));
	while (!existsSync(join(directory, 'package.json'))) {
		const parent = dirname(directory);
		if (parent === directory) break;
		directory = parent;
	}
	return directory;
}
