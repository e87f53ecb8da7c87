import { spawn } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { SocketDBClient } from '@socketdb/client';
import { nodeify, type Node } from '@socketdb/core';
import { createLmdbStore } from '@socketdb/store-lmdb';
import { afterEach, describe, expect, test } from 'vitest';
import { CLI, runCli, startServe, temporaryDirectory } from './helpers/cli';
import { seededRandom } from './helpers/random';
import { grid } from './helpers/data';

// IMPORT_CRASH_RUNS=n kills more imports at random points; each run prints its seed.
const CRASH_RUNS = Number(process.env['IMPORT_CRASH_RUNS'] ?? 4);

const cleanups: (() => void | Promise<unknown>)[] = [];
afterEach(async () => {
	for (const done of cleanups.splice(0).reverse()) await done();
});

function directory(): string {
	const made = temporaryDirectory('socketdb-import-');
	cleanups.push(made.remove);
	return made.path;
}

function exportFile(folder: string, name: string, path: string, node: Node): string {
	const file = join(folder, name);
	writeFileSync(file, JSON.stringify({ socketdb: 1, path, node }));
	return file;
}

/** The whole tree of a data directory, read after opening it (which finishes or discards an interrupted import). */
async function treeOf(data: string): Promise<Node | null> {
	const store = createLmdbStore({ path: data });
	try {
		return store.get();
	} finally {
		await store.close();
	}
}

/** Runs `store.replace` from a data file in a child process that kills itself (SIGKILL) after `step` steps of `phase`. */
function replaceAndDie(data: string, file: string, phase: 'staging' | 'landing', step: number): Promise<number | null> {
	const script = `
		import { readFileSync } from 'node:fs';
		import { createLmdbStore } from '@socketdb/store-lmdb';
		const [data, file, phase, step] = process.argv.slice(1);
		const { path, node } = JSON.parse(readFileSync(file, 'utf8'));
		const store = createLmdbStore({ path: data });
		let steps = 0;
		await store.replace(path, node, (progress) => {
			if (progress.phase === phase && ++steps === Number(step)) process.kill(process.pid, 'SIGKILL');
		});
		await store.close();`;
	const child = spawn(process.execPath, ['--input-type=module', '-e', script, data, file, phase, String(step)], { stdio: ['ignore', 'ignore', 'inherit'] });
	return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('socketdb import beside a running server', () => {
	test('every write the server takes while a large import runs is acknowledged and kept, and the import lands', async () => {
		const data = directory();
		const server = await startServe(['--data', data, '--update-interval', '0']);
		cleanups.push(() => void server.child.kill('SIGKILL'));
		const file = exportFile(directory(), 'bulk.json', 'bulk', nodeify(grid(60, 1000)));
		const db = SocketDBClient({ plugins: [{ name: 'test', hooks: { 'client:error': () => undefined } }] });
		db.connect(server.url);
		cleanups.push(() => db.disconnect());
		await db.get('bulk').set({ old: true });

		const importing = runCli(['import', file, '--data', data], { timeoutMs: 60_000 });
		let running = true;
		void importing.finally(() => (running = false));
		const writes: Promise<unknown>[] = [];
		const acknowledged: number[] = [];
		// A steady writer, as an application would be: 200 writes per second, each awaited for its acknowledgement.
		while (running || writes.length < 10) {
			const i = writes.length;
			writes.push(Promise.resolve(db.get(`live/w${i}`).set({ i }, { at: i })).then(() => acknowledged.push(i)));
			await new Promise((resolve) => setTimeout(resolve, 5));
		}
		const imported = await importing;
		expect(imported.code, imported.stderr).toBe(0);
		expect(imported.stderr).toMatch(/^imported 60061 nodes into .* at "bulk"\n$/);
		await Promise.all(writes);
		expect(acknowledged).toHaveLength(writes.length);

		const exported = await runCli(['export', '--data', data]);
		const tree = JSON.parse(exported.stdout).node.value;
		expect(tree.bulk).toEqual(nodeify(grid(60, 1000)));
		for (let i = 0; i < writes.length; i++) expect(tree.live.value[`w${i}`], `write ${i}`).toEqual({ value: { i: { value: i } }, meta: { at: i } });
		// The running server reads the imported data for a new subscription.
		const reader = SocketDBClient();
		reader.connect(server.url);
		cleanups.push(() => reader.disconnect());
		expect(await new Promise((resolve) => reader.get('bulk/k59/f999').once(resolve))).toBe(59_999);
	}, 60_000);
});

describe('an import killed at any point', () => {
	const oldTree = () => nodeify({ data: grid(6, 1000), other: { kept: 1 } });
	const newData = () => ({ value: { ...nodeify(grid(5, 2000, 100)).value, extra: { value: [1, { x: null }], meta: { m: 1 } } } }) as Node;
	const newTree = () => ({ value: { data: newData(), other: oldTree().value.other } }) as Node;

	/** A data directory holding the old tree and an export file of the new data at `data`. */
	async function prepare(): Promise<{ data: string; file: string }> {
		const folder = directory();
		const data = join(folder, 'data');
		const old = exportFile(folder, 'old.json', '', oldTree());
		expect((await runCli(['import', old, '--data', data])).code).toBe(0);
		return { data, file: exportFile(folder, 'new.json', 'data', newData()) };
	}

	test('while staging it leaves the old data; while landing, the next opening finishes it', async () => {
		const { data, file } = await prepare();
		const points: ['staging' | 'landing', number, Node][] = [
			['staging', 1, oldTree()],
			['staging', 3, oldTree()],
			['landing', 1, newTree()],
			['landing', 3, newTree()],
		];
		for (const [phase, step, expected] of points) {
			const run = join(directory(), 'run');
			cpSync(data, run, { recursive: true });
			expect(await replaceAndDie(run, file, phase, step), `${phase} ${step}`).toBeNull();
			expect(await treeOf(run), `${phase} ${step}`).toEqual(expected);
			if (step !== 1) continue;
			// And the directory takes the next import.
			expect((await runCli(['import', file, '--data', run])).code).toBe(0);
			expect(await treeOf(run)).toEqual(newTree());
		}
	}, 60_000);

	test('export of a directory whose import stopped while landing finishes that import first', async () => {
		const { data, file } = await prepare();
		expect(await replaceAndDie(data, file, 'landing', 2)).toBeNull();
		expect(() => createLmdbStore({ path: data, readOnly: true })).toThrow(expect.objectContaining({ code: 'IMPORT_UNFINISHED' }));
		const exported = await runCli(['export', '--data', data]);
		expect(exported.code, exported.stderr).toBe(0);
		expect(JSON.parse(exported.stdout).node).toEqual(newTree());
	}, 30_000);

	/** How long an uninterrupted import of the new data takes here, measured once. */
	let importMs: number | undefined;
	async function timedImport(data: string, file: string): Promise<number> {
		if (importMs !== undefined) return importMs;
		const timed = join(directory(), 'timed');
		cpSync(data, timed, { recursive: true });
		const started = performance.now();
		expect((await runCli(['import', file, '--data', timed])).code).toBe(0);
		return (importMs = performance.now() - started);
	}

	test.each(Array.from({ length: CRASH_RUNS }, (_, run) => [run, 5000 + run * 7919]))(
		'kill -9 of socketdb import at a random moment (run %i, seed %i): after reopening, wholly the old data or wholly the new',
		async (_run, seed) => {
			const random = seededRandom(seed);
			const { data, file } = await prepare();
			const killAfterMs = random.int(Math.ceil(await timedImport(data, file)));

			const child = spawn(process.execPath, [join(process.cwd(), CLI), 'import', file, '--data', data], { stdio: 'ignore' });
			const exited = new Promise((resolve) => child.on('exit', resolve));
			setTimeout(() => child.kill('SIGKILL'), killAfterMs);
			await exited;
			const tree = await treeOf(data);
			const wasOld = isDeepStrictEqual(tree, oldTree());
			expect(tree, `seed ${seed}: killed after ${killAfterMs} ms`).toEqual(wasOld ? oldTree() : newTree());
		},
		60_000,
	);
});

test('export, import over other data, export: byte-identical, over many transactions', async () => {
	const folder = directory();
	const source = join(folder, 'source');
	const tree: Node = {
		value: { ...nodeify(grid(4, 3000)).value, odd: { value: { e: { value: '' }, n: { value: null }, a: { value: [1, [2], { b: false }] } }, meta: { m: { deep: [1] } } } },
		meta: { root: true },
	};
	expect((await runCli(['import', exportFile(folder, 'seed.json', '', tree), '--data', source])).code).toBe(0);
	const first = await runCli(['export', '--data', source]);
	expect(JSON.parse(first.stdout).node).toEqual(tree);

	const target = join(folder, 'target');
	expect((await runCli(['import', exportFile(folder, 'other.json', '', nodeify({ k0: { x: 1 }, stale: grid(2, 3000) })), '--data', target])).code).toBe(0);
	const backup = join(folder, 'backup.json');
	writeFileSync(backup, first.stdout);
	expect((await runCli(['import', backup, '--data', target])).code).toBe(0);
	const again = await runCli(['export', '--data', target]);
	expect(again.stdout).toBe(readFileSync(backup, 'utf8'));
}, 30_000);
