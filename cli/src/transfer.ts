import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { invalidKeyReason, invalidPathReason, isObject, normalizePath, type Node } from '@socketdb/core';
import { createLmdbStore, type ImportProgress, type LmdbStore } from '@socketdb/store-lmdb';
import { CliError } from './cli-error';
import { writeOut } from './output';
import { ProgressBar } from './progress';

/** The version of the export file's layout. */
const EXPORT_FORMAT = 1;

/**
 * An export file: the node at `path` with everything below it, values and meta, in the
 * node form (`{ value, meta }`, children under `value`), so leaves, objects, arrays and null
 * all come back as they were.
 */
export type ExportFile = { socketdb: typeof EXPORT_FORMAT; path: string; node: Node };

/**
 * `socketdb export`: reads a data directory (a running server may have it open) read-only, so a
 * directory the user cannot write is exported too.
 */
export async function exportTree(options: { data: string; path: string; out?: string }): Promise<void> {
	const path = checkedPath(options.path);
	const directory = resolve(options.data);
	if (!existsSync(directory)) throw new CliError(`there is no data directory at ${directory}`);
	let read: { total: number; node: Node | null };
	try {
		read = await readTree(directory, path);
	} catch (error) {
		// An import is landing (or stopped while landing): finish it, then read the imported data.
		if ((error as { code?: unknown }).code !== 'IMPORT_UNFINISHED') throw error;
		await finishImport(directory);
		read = await readTree(directory, path);
	}
	const { total, node } = read;
	if (node === null) throw new CliError(`there is no data at "${path}" in ${directory}`);
	const file: ExportFile = { socketdb: EXPORT_FORMAT, path, node };
	const text = `${JSON.stringify(file)}\n`;
	if (options.out === undefined) writeOut(text);
	else writeFileSync(options.out, text);
	process.stderr.write(`exported ${total} nodes from ${directory}${path === '' ? '' : ` at "${path}"`}${options.out === undefined ? '' : ` to ${options.out}`}\n`);
}

/** The node at `path` and its count, read in one snapshot of a read-only store. */
async function readTree(directory: string, path: string): Promise<{ total: number; node: Node | null }> {
	const store = openForReading(directory);
	try {
		const total = store.count(path);
		const progress = new ProgressBar('reading', total);
		try {
			return { total, node: store.get(path, (nodes) => progress.update(nodes)) };
		} finally {
			progress.finish();
		}
	} finally {
		await store.close();
	}
}

/**
 * `socketdb import`: checks the whole file first, then replaces the data at the path in bounded
 * transactions (see `LmdbStore.replace`), so a server running on the directory keeps writing.
 */
export async function importTree(file: string, options: { data: string; path?: string }): Promise<void> {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
	}
	const exported = parseExport(text, file);
	const path = checkedPath(options.path ?? exported.path);
	if (path === '' && !isObject(exported.node.value)) throw new CliError(`${file} holds a leaf; only an object can go at the root (give --path)`);
	const directory = resolve(options.data);
	const store = openStore(directory);
	try {
		let progress: ProgressBar | undefined;
		const show = ({ phase, done, total }: ImportProgress) => {
			if (progress?.label !== phase) {
				progress?.finish();
				progress = new ProgressBar(phase, total);
			}
			progress.update(done);
		};
		let written: number;
		try {
			written = await store.replace(path, exported.node, show);
		} catch (error) {
			if ((error as { code?: string }).code === 'IMPORT_IN_PROGRESS') throw new CliError((error as Error).message);
			throw error;
		} finally {
			progress?.finish();
		}
		process.stderr.write(`imported ${written} nodes into ${directory}${path === '' ? '' : ` at "${path}"`}\n`);
	} finally {
		await store.close();
	}
}

/** Parses and checks an export file; the first problem is reported with where it is. */
export function parseExport(text: string, file = 'the file'): ExportFile {
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch (error) {
		throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
	}
	if (!isObject(parsed) || parsed['socketdb'] === undefined || !('node' in parsed)) throw new CliError(`${file} is not a SocketDB export (expected { "socketdb": ${EXPORT_FORMAT}, "path", "node" })`);
	if (parsed['socketdb'] !== EXPORT_FORMAT) throw new CliError(`${file} is an export of format ${JSON.stringify(parsed['socketdb'])}; this version reads format ${EXPORT_FORMAT}`);
	const path = parsed['path'] ?? '';
	if (typeof path !== 'string') throw new CliError(`${file}: "path" must be a string`);
	const problem = nodeProblem(parsed['node'], []);
	if (problem !== null) throw new CliError(`${file}: ${problem}`);
	return { socketdb: EXPORT_FORMAT, path: normalizePath(path), node: parsed['node'] as Node };
}

function nodeProblem(node: unknown, at: string[]): string | null {
	const where = at.length === 0 ? 'the node' : `the node at "${at.join('/')}"`;
	if (!isObject(node) || node['value'] === undefined) return `${where} is not a node (an object with a "value")`;
	for (const key of Object.keys(node)) if (key !== 'value' && key !== 'meta') return `${where} has an unknown field "${key}"`;
	if (node['meta'] !== undefined && !isObject(node['meta'])) return `${where} has meta that is not an object`;
	const value = node['value'];
	if (!isObject(value)) return null;
	for (const key of Object.keys(value)) {
		const reason = invalidKeyReason(key);
		if (reason !== null) return `${where}: ${reason}`;
		at.push(key);
		const problem = nodeProblem(value[key], at);
		at.pop();
		if (problem !== null) return problem;
	}
	return null;
}

function checkedPath(path: string): string {
	const reason = invalidPathReason(path);
	if (reason !== null) throw new CliError(reason);
	return normalizePath(path);
}

function openStore(directory: string): LmdbStore {
	try {
		return createLmdbStore({ path: directory });
	} catch (error) {
		throw new CliError(`cannot open the data directory ${directory}: ${(error as Error).message}`);
	}
}

/** Opens a data directory read-only; `IMPORT_UNFINISHED` passes through. */
function openForReading(directory: string): LmdbStore {
	try {
		return createLmdbStore({ path: directory, readOnly: true });
	} catch (error) {
		const code = (error as { code?: unknown }).code;
		// Opened read-only, LMDB does not make a missing database file.
		if (code === constants.errno.ENOENT) throw new CliError(`there is no SocketDB data in ${directory}`);
		if (code === 'IMPORT_UNFINISHED') throw error;
		throw new CliError(`cannot open the data directory ${directory}: ${(error as Error).message}`);
	}
}

/** Opening a data directory for writing carries an import that is landing to its end. */
async function finishImport(directory: string): Promise<void> {
	let store: LmdbStore;
	try {
		store = createLmdbStore({ path: directory });
	} catch (error) {
		throw new CliError(`an import into ${directory} has not finished landing, and finishing it needs write access: ${(error as Error).message}`);
	}
	await store.close();
}
