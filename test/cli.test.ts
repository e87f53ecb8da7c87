import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { SocketDBClient } from '@socketdb/client';
import { afterEach, describe, expect, test } from 'vitest';
import { CLI, runCli, startServe, temporaryDirectory, type CliResult, type ServeProcess } from './helpers/cli';
import { cleanup, startServer, waitFor } from './helpers/server';

const cleanups: (() => void | Promise<unknown>)[] = [];
afterEach(async () => {
	for (const done of cleanups.splice(0).reverse()) await done();
	await cleanup();
});

function directory(): string {
	const made = temporaryDirectory('socketdb-cli-');
	cleanups.push(made.remove);
	return made.path;
}

async function serve(args: string[]): Promise<ServeProcess> {
	const server = await startServe(args);
	cleanups.push(async () => {
		if (server.child.exitCode === null) {
			server.child.kill('SIGKILL');
			await server.exited;
		}
	});
	return server;
}

async function stop(server: ServeProcess): Promise<number | null> {
	server.child.kill('SIGTERM');
	return server.exited;
}

/** Sends SIGTERM to a process group and waits until none of it is left (SIGKILL after 10 s). */
async function stopGroup(leader: number): Promise<void> {
	const alive = () => {
		try {
			process.kill(-leader, 0);
			return true;
		} catch {
			return false;
		}
	};
	process.kill(-leader, 'SIGTERM');
	await waitFor(() => !alive(), 'the npx process group to exit', 10_000).catch(() => process.kill(-leader, 'SIGKILL'));
}

/** Runs `socketdb ...args` with a reader that takes the first chunk of its output and closes the pipe, as `| head` does. */
function runIntoClosingPipe(args: string[]): Promise<CliResult> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, [join(process.cwd(), CLI), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.once('data', (chunk: Buffer) => {
			stdout = chunk.toString();
			child.stdout.destroy();
		});
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		child.on('close', (code) => resolve({ code, stdout, stderr }));
	});
}

describe('socketdb serve, get, set and delete', () => {
	test('a client session from the command line, and the data survives a restart', async () => {
		const data = directory();
		let server = await serve(['--data', data]);
		expect(server.output()).toContain(`data in ${data}`);
		const url = ['--url', server.url];

		const set = await runCli(['set', 'users/1', '{"name":"Ada","tags":[1,2]}', '--meta', '{"by":"cli"}', ...url]);
		expect(set).toMatchObject({ code: 0, stderr: '' });
		expect(JSON.parse(set.stdout)).toEqual({ set: 'users/1' });
		expect(JSON.parse((await runCli(['get', 'users', ...url])).stdout)).toEqual({ 1: { name: 'Ada', tags: [1, 2] } });

		const deleted = await runCli(['delete', 'users/1/tags', ...url]);
		expect(deleted.code).toBe(0);
		expect(JSON.parse((await runCli(['get', 'users/1', ...url])).stdout)).toEqual({ name: 'Ada' });
		expect((await runCli(['get', 'nothing/here', ...url])).stdout.trim()).toBe('null');

		expect(await stop(server)).toBe(0);
		server = await serve(['--data', data]);
		expect(JSON.parse((await runCli(['get', 'users/1/name', '--url', server.url])).stdout)).toBe('Ada');
		const exported = await runCli(['export', '--data', data, '--path', 'users']);
		expect(JSON.parse(exported.stdout).node.value['1'].meta).toEqual({ by: 'cli' });
	});

	test('--memory keeps nothing across a restart', async () => {
		let server = await serve(['--memory']);
		expect(server.output()).toContain('in memory');
		expect((await runCli(['set', 'a', '1', '--url', server.url])).code).toBe(0);
		await stop(server);
		server = await serve(['--memory']);
		expect((await runCli(['get', 'a', '--url', server.url])).stdout.trim()).toBe('null');
	});

	test('a refused write exits non-zero with one clear line', async () => {
		const server = await serve(['--data', directory()]);
		const refused = await runCli(['set', '', '5', '--url', server.url]);
		expect(refused.code).not.toBe(0);
		expect(refused.stdout).toBe('');
		expect(refused.stderr.trim().split('\n')).toHaveLength(1);
		expect(refused.stderr).toMatch(/^socketdb: the write was refused \(INVALID_VALUE\)/);
	});

	test('a read the server refuses is a clear error, not a wait for the timeout', async () => {
		const { url } = await startServer({
			plugins: [
				{
					name: 'private',
					hooks: {
						'server:subscribe': ({ path }) => {
							if (path.startsWith('secret')) throw new Error('not for you');
						},
					},
				},
			],
		});
		const started = Date.now();
		const refused = await runCli(['get', 'secret/key', '--url', url]);
		expect(refused.code).not.toBe(0);
		expect(refused.stderr).toBe('socketdb: the server refused (FORBIDDEN): subscribing to "secret/key" was refused: not for you\n');
		expect(Date.now() - started).toBeLessThan(4_000);
		expect((await runCli(['get', 'open', '--url', url])).stdout.trim()).toBe('null');
	});

	test('an unreachable server is a clear error, not a hang', async () => {
		const closed = createServer();
		await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
		const port = (closed.address() as { port: number }).port;
		await new Promise((resolve) => closed.close(resolve));
		const result = await runCli(['get', 'a', '--url', `ws://127.0.0.1:${port}`]);
		expect(result.code).not.toBe(0);
		expect(result.stderr).toBe(`socketdb: cannot connect to ws://127.0.0.1:${port}/: connection refused (is \`socketdb serve\` running?)\n`);
	});

	test('bad arguments are one clear line', async () => {
		const notJson = await runCli(['set', 'a', '{oops', '--url', 'ws://127.0.0.1:1']);
		expect(notJson.code).not.toBe(0);
		expect(notJson.stderr).toMatch(/^socketdb: .*not valid JSON/);
		const badUrl = await runCli(['get', 'a', '--url', 'http//nope']);
		expect(badUrl.stderr).toBe('socketdb: http//nope is not a URL (expected something like ws://localhost:8080)\n');
		const badPort = await runCli(['serve', '--port', 'abc']);
		expect(badPort.code).not.toBe(0);
		expect(badPort.stderr).toMatch(/^socketdb: .*port/);
	});

	test('PORT and HOST are read by serve alone; a bad one is one line naming it', async () => {
		const server = await serve(['--memory']);
		const got = await runCli(['get', 'x', '--url', server.url], { env: { PORT: 'abc', HOST: '' } });
		expect(got).toMatchObject({ code: 0, stdout: 'null\n', stderr: '' });

		const badPort = await runCli(['serve', '--memory'], { env: { PORT: 'abc' } });
		expect(badPort.code).toBe(1);
		expect(badPort.stderr).toBe('socketdb: the environment variable PORT is "abc": a port is a whole number from 0 to 65535 (fix or unset it, or give --port)\n');
		// A good PORT is used; --port (here 0, given by startServe) wins over a bad one.
		const portTaken = await runCli(['serve', '--memory'], { env: { PORT: String(server.port) } });
		expect(portTaken.stderr).toBe(`socketdb: cannot listen on 127.0.0.1:${server.port}: the port is in use\n`);
		const flagged = await startServe(['--memory'], { env: { PORT: 'abc' } });
		cleanups.push(() => stop(flagged));
		expect(flagged.port).toBeGreaterThan(0);

		// An empty HOST counts as unset; an empty --host is refused.
		const emptyHost = await startServe(['--memory'], { env: { HOST: '' } });
		cleanups.push(() => stop(emptyHost));
		expect(emptyHost.output()).toContain(`listening on ws://127.0.0.1:${emptyHost.port} `);
		const blankFlag = await runCli(['serve', '--memory', '--port', '0', '--host', '']);
		expect(blankFlag.code).not.toBe(0);
		expect(blankFlag.stderr).toMatch(/^socketdb: .*'--host <host>'.*the host is an address or name/);
	});

	test('one server per data directory: a second is refused, and a dead one\'s lock is taken over', async () => {
		const data = directory();
		const first = await serve(['--data', data]);
		const second = await runCli(['serve', '--port', '0', '--data', data]);
		expect(second.code).not.toBe(0);
		expect(second.stderr).toBe(`socketdb: the data directory ${data} is in use by another socketdb serve (pid ${first.child.pid})\n`);
		first.child.kill('SIGKILL');
		await first.exited;
		const third = await serve(['--data', data]);
		expect(third.output()).toContain(`data in ${data}`);
	});

	test('a port in use is a clear error', async () => {
		const server = await serve(['--memory']);
		const second = await runCli(['serve', '--memory', '--port', String(server.port)]);
		expect(second.code).not.toBe(0);
		expect(second.stderr).toBe(`socketdb: cannot listen on 127.0.0.1:${server.port}: the port is in use\n`);
	});

	test('every command has --help', async () => {
		for (const command of [[], ['serve'], ['get'], ['set'], ['delete'], ['export'], ['import']]) {
			const help = await runCli([...command, '--help']);
			expect(help.code, command.join(' ')).toBe(0);
			expect(help.stdout).toMatch(/^Usage: socketdb/);
		}
	});
});

describe('socketdb export and import', () => {
	test('export, import into an empty directory, export again: identical', async () => {
		const data = directory();
		const server = await serve(['--data', data]);
		const url = ['--url', server.url];
		await runCli(['set', 'todos', '{"a":{"title":"milk","done":false,"tags":["x",{"y":null}]},"b":{"title":"bread","n":0}}', '--meta', '{"owner":{"id":7}}', ...url]);
		await runCli(['set', 'todos/a/title', '"oat milk"', '--meta', '{"updated":123}', ...url]);
		await runCli(['set', 'settings', '{"theme":"dark","empty":""}', ...url]);
		// Exported while the server still has the directory open.
		const out = join(directory(), 'backup.json');
		const first = await runCli(['export', '--data', data, '--out', out]);
		expect(first.code).toBe(0);
		expect(first.stderr).toMatch(/^exported \d+ nodes/);
		await stop(server);

		const copy = directory();
		const imported = await runCli(['import', out, '--data', copy]);
		expect(imported).toMatchObject({ code: 0 });
		const again = await runCli(['export', '--data', copy]);
		expect(again.stdout).toBe(readFileSync(out, 'utf8'));
		const file = JSON.parse(again.stdout);
		expect(file.node.value.todos.meta).toEqual({ owner: { id: 7 } });
		expect(file.node.value.todos.value.a.value.title).toEqual({ value: 'oat milk', meta: { updated: 123 } });
		expect(file.node.value.todos.value.a.value.tags.value).toEqual(['x', { y: null }]);
	});

	test('a subtree exports and imports at its path, or at another one', async () => {
		const data = directory();
		const server = await serve(['--data', data]);
		await runCli(['set', 'a/b', '{"c":1,"d":{"e":2}}', '--url', server.url]);
		await stop(server);
		const out = join(directory(), 'b.json');
		await runCli(['export', '--data', data, '--path', 'a/b', '--out', out]);
		expect(JSON.parse(readFileSync(out, 'utf8')).path).toBe('a/b');

		const target = directory();
		expect((await runCli(['import', out, '--data', target])).code).toBe(0);
		expect((await runCli(['import', out, '--data', target, '--path', 'copy'])).code).toBe(0);
		const tree = JSON.parse((await runCli(['export', '--data', target])).stdout).node;
		const expected = { value: { c: { value: 1 }, d: { value: { e: { value: 2 } } } } };
		expect(tree.value.a.value.b).toEqual(expected);
		expect(tree.value.copy).toEqual(expected);
	});

	test('import replaces what was at the path and keeps the rest', async () => {
		const data = directory();
		const server = await serve(['--data', data]);
		await runCli(['set', 'keep', '1', '--url', server.url]);
		await runCli(['set', 'swap', '{"old":1,"deep":{"x":1}}', '--url', server.url]);
		await stop(server);
		const file = join(directory(), 'swap.json');
		writeFileSync(file, JSON.stringify({ socketdb: 1, path: 'swap', node: { value: { new: { value: 2 } } } }));
		expect((await runCli(['import', file, '--data', data])).code).toBe(0);
		const tree = JSON.parse((await runCli(['export', '--data', data])).stdout).node;
		expect(tree).toEqual({ value: { keep: { value: 1 }, swap: { value: { new: { value: 2 } } } } });
	});

	test("a data directory whose name has a dot (mktemp's tmp.XXXXXX, data.v1) works for serve, export and import", async () => {
		const parent = directory();
		const made = mkdtempSync(join(parent, 'tmp.'));
		const server = await serve(['--data', made]);
		expect((await runCli(['set', 'a', '{"b":1}', '--url', server.url])).code).toBe(0);
		expect(await stop(server)).toBe(0);
		const out = join(parent, 'backup.json');
		expect((await runCli(['export', '--data', made, '--out', out])).code).toBe(0);
		const copy = join(parent, 'data.v1');
		expect((await runCli(['import', out, '--data', copy])).code).toBe(0);
		for (const data of [made, copy]) expect(readdirSync(data), data).toContain('data.mdb');
		const exported = await runCli(['export', '--data', copy]);
		expect(exported.stdout).toBe(readFileSync(out, 'utf8'));
		expect(JSON.parse(exported.stdout).node).toEqual({ value: { a: { value: { b: { value: 1 } } } } });
	});

	test('a malformed file fails with a clear message and leaves the directory untouched', async () => {
		const data = directory();
		const server = await serve(['--data', data]);
		await runCli(['set', 'a', '{"b":1}', '--url', server.url]);
		await stop(server);
		const before = (await runCli(['export', '--data', data])).stdout;
		const folder = directory();
		const cases: [string, RegExp][] = [
			['{"socketdb":1,"node":{"value":', /not valid JSON/],
			['[1,2]', /not a SocketDB export/],
			['{"socketdb":2,"path":"","node":{"value":{}}}', /format 2/],
			['{"socketdb":1,"path":"","node":{"value":{"a":{"value":1},"b":{"nope":1}}}}', /the node at "b" is not a node/],
			['{"socketdb":1,"path":"","node":{"value":{"__proto__":{"value":1}}}}', /reserved/],
			['{"socketdb":1,"path":"","node":{"value":{"a/b":{"value":1}}}}', /contains "\/"/],
			['{"socketdb":1,"path":"","node":{"value":5}}', /only an object can go at the root/],
		];
		for (const [index, [text, message]] of cases.entries()) {
			const file = join(folder, `bad-${index}.json`);
			writeFileSync(file, text);
			const result = await runCli(['import', file, '--data', data]);
			expect(result.code, text).not.toBe(0);
			expect(result.stderr, text).toMatch(message);
			expect(result.stderr.trim().split('\n'), text).toHaveLength(1);
		}
		expect((await runCli(['export', '--data', data])).stdout).toBe(before);
		const missing = join(folder, 'never-made');
		await runCli(['import', join(folder, 'bad-0.json'), '--data', missing]);
		expect(existsSync(missing)).toBe(false);
		const noFile = await runCli(['import', join(folder, 'absent.json'), '--data', data]);
		expect(noFile.stderr).toMatch(/cannot read .*absent\.json: no such file/);
	});

	test('export of a directory that does not exist, or holds no data, fails clearly', async () => {
		const result = await runCli(['export', '--data', join(directory(), 'none')]);
		expect(result.code).not.toBe(0);
		expect(result.stderr).toMatch(/^socketdb: there is no data directory at /);
		const empty = directory();
		const nothing = await runCli(['export', '--data', empty]);
		expect(nothing.stderr).toBe(`socketdb: there is no SocketDB data in ${empty}\n`);
		expect(readdirSync(empty)).toEqual([]);
	});

	test('export works on a data directory the user cannot write', async () => {
		const data = directory();
		const server = await serve(['--data', data]);
		await runCli(['set', 'a', '{"b":[1,2],"c":null}', '--meta', '{"m":1}', '--url', server.url]);
		await stop(server);
		const expected = (await runCli(['export', '--data', data])).stdout;
		const folder = directory();
		const file = join(folder, 'a.json');
		writeFileSync(file, expected);
		// Root may write anywhere, whatever the modes say: then the commands run as nobody.
		const user = process.getuid?.() === 0 ? { as: { uid: 65534, gid: 65534 } } : {};
		chmodSync(folder, 0o755);
		for (const name of readdirSync(data)) chmodSync(join(data, name), 0o444);
		chmodSync(data, 0o555);
		cleanups.push(() => chmodSync(data, 0o755));

		const refused = await runCli(['import', file, '--data', data], user);
		expect(refused.code, 'the directory must really be read-only for the test to mean anything').not.toBe(0);
		expect(refused.stderr).toMatch(/^socketdb: cannot open the data directory .*(denied|read-only)/i);
		const exported = await runCli(['export', '--data', data], user);
		expect(exported.stderr).toMatch(/^exported 3 nodes from /);
		expect(exported).toMatchObject({ code: 0, stdout: expected });
	});
});

describe('output into a pipe the reader closes early (| head)', () => {
	test('get and export end quietly with code 0', async () => {
		const data = directory();
		const server = await serve(['--data', data]);
		const db = SocketDBClient();
		db.connect(server.url);
		cleanups.push(() => db.disconnect());
		const big = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`key${i}`, `value ${i}`]));
		await db.get('big').set(big);

		const got = await runIntoClosingPipe(['get', 'big', '--url', server.url]);
		expect(got.stdout.length).toBeGreaterThan(0);
		expect(got).toMatchObject({ code: 0, stderr: '' });
		const exported = await runIntoClosingPipe(['export', '--data', data]);
		expect(exported.stdout).toMatch(/^\{"socketdb":1/);
		expect(exported.code).toBe(0);
		expect(exported.stderr).toMatch(/^exported 20001 nodes from [^\n]*\n$/);
	});

	test('serve keeps serving after the reader of its output is gone, and stops cleanly', async () => {
		const server = await serve(['--memory']);
		server.child.stdout!.destroy();
		expect((await runCli(['set', 'a', '1', '--url', server.url])).code).toBe(0);
		expect(JSON.parse((await runCli(['get', 'a', '--url', server.url])).stdout)).toBe(1);
		// Stopping prints a line into the closed pipe.
		expect(await stop(server)).toBe(0);
		expect(server.output()).not.toMatch(/EPIPE|Error/);
	});
});

describe('the socketdb bin through npx, as a user runs it', () => {
	/** A user's shell: without the variables npm sets for the script that runs these tests. */
	const shell = () => Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));

	/** `npx socketdb ...args` from a folder of the user's project, which has the packages installed. */
	function npx(args: string[], cwd: string): Promise<CliResult> {
		return new Promise((resolve) => {
			const child = spawn('npx', ['--no-install', 'socketdb', ...args], { cwd, env: shell(), stdio: ['ignore', 'pipe', 'pipe'] });
			let stdout = '';
			let stderr = '';
			child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
			child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
			child.on('close', (code) => resolve({ code, stdout, stderr }));
		});
	}

	test('--version prints the version of @socketdb/cli; --help lists the commands; an unknown one says so', async () => {
		const version = (JSON.parse(readFileSync('cli/package.json', 'utf8')) as { version: string }).version;
		const folder = join(process.cwd(), 'examples');
		expect(await npx(['--version'], folder)).toMatchObject({ code: 0, stdout: `${version}\n` });
		const help = await npx(['--help'], folder);
		expect(help.code).toBe(0);
		for (const command of ['serve', 'get', 'set', 'delete', 'export', 'import']) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
		const unknown = await npx(['frobnicate'], folder);
		expect(unknown.code).toBe(1);
		expect(unknown.stderr).toMatch(/^socketdb: unknown command 'frobnicate'/);
	}, 30_000);

	test('npx socketdb serve serves, and a client reaches it', async () => {
		// In a process group of its own: npx runs the server as its child, and both must go at the end.
		const child = spawn('npx', ['--no-install', 'socketdb', 'serve', '--memory', '--port', '0', '--no-inspector'], { cwd: join(process.cwd(), 'examples'), env: shell(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
		try {
			const url = await new Promise<string>((resolve, reject) => {
				let output = '';
				child.stdout.on('data', (chunk: Buffer) => {
					output += chunk.toString();
					const match = /listening on (ws:\/\/\S+)/.exec(output);
					if (match !== null) resolve(match[1]!);
				});
				child.on('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
			});
			const db = SocketDBClient();
			db.connect(url);
			await db.get('via').set('npx');
			expect(await new Promise((resolve) => db.get('via').once(resolve))).toBe('npx');
			db.disconnect();
		} finally {
			// npx does not always pass SIGTERM on to the server: the whole group gets it.
			await stopGroup(child.pid!);
		}
	}, 30_000);
});

test('SIGINT (Ctrl+C) shuts serve down as SIGTERM does: clients hear server-shutdown, acknowledged writes are kept, exit code 0', async () => {
	const data = directory();
	const server = await serve(['--data', data, '--no-inspector']);
	const goodbyes: unknown[] = [];
	const db = SocketDBClient({ plugins: [{ name: 'goodbye', hooks: { 'client:serverDisconnectMessage': (goodbye) => void goodbyes.push(goodbye) } }] });
	db.connect(server.url);
	await db.get('kept').set('before ctrl-c');
	server.child.kill('SIGINT');
	expect(await server.exited).toBe(0);
	expect(server.output()).toMatch(/^SIGINT: closing connections and flushing the store$/m);
	await expect.poll(() => goodbyes).toEqual([{ reason: 'server-shutdown' }]);
	db.disconnect();
	const again = await serve(['--data', data, '--no-inspector']);
	expect(await runCli(['get', 'kept', '--url', again.url])).toMatchObject({ code: 0, stdout: '"before ctrl-c"\n' });
	await stop(again);
});
