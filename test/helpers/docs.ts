import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A fenced code block of a markdown file. */
export type DocBlock = {
	file: string;
	/** The line (1-based) of the block's first line of code. */
	line: number;
	/** The fence's first word (`ts`, `sh`, ...). */
	language: string;
	/** The rest of the fence's info string: `run` marks a whole program. */
	flags: string[];
	heading: string;
	code: string;
};

/** Every fenced code block of a markdown file, in order, with the heading it sits under. */
export function codeBlocks(file: string): DocBlock[] {
	const lines = readFileSync(file, 'utf8').split('\n');
	const blocks: DocBlock[] = [];
	let heading = '';
	let open: { language: string; flags: string[]; line: number; code: string[] } | undefined;
	lines.forEach((line, index) => {
		if (open !== undefined) {
			if (line === '```') {
				blocks.push({ file, line: open.line, language: open.language, flags: open.flags, heading, code: open.code.join('\n') });
				open = undefined;
			} else {
				open.code.push(line);
			}
		} else if (line.startsWith('```')) {
			const [language = '', ...flags] = line.slice(3).trim().split(/\s+/);
			open = { language, flags, line: index + 2, code: [] };
		} else if (/^#+ /.test(line)) {
			heading = line.replace(/^#+ /, '');
		}
	});
	if (open !== undefined) throw new Error(`${file}:${open.line - 1}: a code block is never closed`);
	return blocks;
}

/**
 * The `index`-th code block in `language` under the heading `heading` of a markdown file (up to
 * the next heading), so that a test runs exactly the code the docs show.
 */
export function codeBlock(file: string, heading: string, language: string, index = 0): string {
	const lines = readFileSync(file, 'utf8').split('\n');
	if (!lines.some((line) => /^#+ /.test(line) && line.replace(/^#+ /, '') === heading)) throw new Error(`${file} has no heading "${heading}"`);
	const block = codeBlocks(file).filter((candidate) => candidate.heading === heading && candidate.language === language)[index];
	if (block === undefined) throw new Error(`${file} has no ${language} block #${index} under "${heading}"`);
	return block.code;
}

/**
 * The rows of the first table under the heading `heading` of a markdown file, each as its cells'
 * text (the header row and the divider left out).
 */
export function tableRows(file: string, heading: string): string[][] {
	const lines = readFileSync(file, 'utf8').split('\n');
	const start = lines.findIndex((line) => /^#+ /.test(line) && line.replace(/^#+ /, '') === heading);
	if (start === -1) throw new Error(`${file} has no heading "${heading}"`);
	const rows: string[][] = [];
	for (const line of lines.slice(start + 1)) {
		if (/^#+ /.test(line)) break;
		if (line.startsWith('|')) rows.push(line.slice(1, line.endsWith('|') ? -1 : undefined).split('|').map((cell) => cell.trim()));
		else if (rows.length > 0) break;
	}
	if (rows.length < 2) throw new Error(`${file} has no table under "${heading}"`);
	return rows.slice(2);
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
