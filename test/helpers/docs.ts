import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The `index`-th code block in `language` under the heading `heading` of a markdown file (up to
 * the next heading), so that a test runs exactly the code the docs show.
 */
export function codeBlock(file: string, heading: string, language: string, index = 0): string {
	const lines = readFileSync(file, 'utf8').split('\n');
	const start = lines.findIndex((line) => /^#+ /.test(line) && line.replace(/^#+ /, '') === heading);
	if (start === -1) throw new Error(`${file} has no heading "${heading}"`);
	const blocks: string[] = [];
	let current: string[] | undefined;
	for (const line of lines.slice(start + 1)) {
		if (current === undefined) {
			if (/^#+ /.test(line)) break;
			if (line === '```' + language) current = [];
		} else if (line === '```') {
			blocks.push(current.join('\n'));
			current = undefined;
		} else {
			current.push(line);
		}
	}
	const block = blocks[index];
	if (block === undefined) throw new Error(`${file} has no ${language} block #${index} under "${heading}"`);
	return block;
}

/**
 * Imports a TypeScript code block of the docs as a module (written beside the tests, so that its
 * imports of the workspace packages resolve as an app's would).
 */
export async function importCodeBlock<T>(file: string, heading: string, name: string): Promise<T> {
	const directory = join(dirname(fileURLToPath(import.meta.url)), '..', '.recipes');
	mkdirSync(directory, { recursive: true });
	// One file per process: the test projects run side by side.
	const path = join(directory, `${name}-${process.pid}.ts`);
	writeFileSync(path, codeBlock(file, heading, 'ts'));
	try {
		return (await import(/* @vite-ignore */ pathToFileURL(path).href)) as T;
	} finally {
		rmSync(path, { force: true });
	}
}
