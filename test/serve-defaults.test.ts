import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInspector, type InspectorOptions } from '@socketdb/cli';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runCli, startServe, temporaryDirectory, type ServeProcess } from './helpers/cli';
import { cleanup, connectClient, sleep } from './helpers/server';
import { codeBlock } from './helpers/docs';
import { tryUpgrade } from './helpers/upgrade';

// `socketdb serve`'s safe defaults: protected mode beyond loopback, tokens, origins and hosts.

const TOKEN = 'a-long-test-token-0123456789';
const cleanups: (() => void | Promise<unknown>)[] = [];
afterEach(async () => {
	for (const done of cleanups.splice(0).reverse()) await done();
	await cleanup();
});

function directory(): string {
	const made = temporaryDirectory('socketdb-serve-');
	cleanups.push(made.remove);
	return made.path;
}

async function serve(args: string[], env: Record<string, string> = {}, bin?: string): Promise<ServeProcess> {
	const server = await startServe(args, { env, bin });
	cleanups.push(async () => {
		if (server.child.exitCode === null) {
			server.child.kill('SIGKILL');
			await server.exited;
		}
	});
	return server;
}

/** One HTTP request with exactly these headers (Host included), answered with status, headers and body. */
function httpGet(port: number, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
	return new Promise((resolve, reject) => {
		const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
			let text = '';
			res.setEncoding('latin1');
			res.on('data', (chunk: string) => (text += chunk));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
		});
		req.on('error', reject);
		req.end(body);
	});
}

describe('protected mode', () => {
	test('beyond loopback without credentials it refuses to start, with one line saying how to give them, and creates nothing', async () => {
		const data = join(directory(), 'data');
		const result = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--data', data]);
		expect(result.code).toBe(1);
		expect(result.stderr.trim().split('\n')).toHaveLength(1);
		expect(result.stderr).toMatch(/^socketdb: refusing to listen on 0\.0\.0\.0 without credentials.*SOCKETDB_TOKEN.*--token-file/);
		expect(existsSync(data)).toBe(false);
	});

	test('--insecure-no-auth is the explicit way out, with a warning on every start; the start line has the real bound address', async () => {
		const server = await serve(['--memory', '--host', '0.0.0.0', '--insecure-no-auth']);
		expect(server.output()).toContain(`SocketDB listening on ws://0.0.0.0:${server.port} `);
		expect(server.output()).toMatch(/WARNING: --insecure-no-auth/);
		const db = connectClient(`ws://127.0.0.1:${server.port}`);
		await db.get('open').set(1);
	});

	test('a bare --inspector-token is refused: the secret would show in ps', async () => {
		const result = await runCli(['serve', '--memory', '--port', '0', '--inspector-token', 'secret']);
		expect(result.code).toBe(1);
		expect(result.stderr).toMatch(/--inspector-token is no longer taken.*SOCKETDB_TOKEN.*--token-file/);
	});
});

describe('a token', () => {
	test('from SOCKETDB_TOKEN: every connection must present it, loopback included, in the URL or as a bearer header', async () => {
		const server = await serve(['--memory', '--host', '0.0.0.0'], { SOCKETDB_TOKEN: TOKEN });
		const url = `ws://127.0.0.1:${server.port}`;
		expect(await tryUpgrade(url)).toMatchObject({ status: 401, headers: { 'www-authenticate': expect.stringContaining('Bearer') } });
		expect(await tryUpgrade(`${url}/?token=wrong`)).toMatchObject({ status: 401, body: 'wrong token' });
		expect(await tryUpgrade(url, { Authorization: 'Bearer wrong' })).toMatchObject({ status: 401 });
		expect(await tryUpgrade(`${url}/?token=${TOKEN}`)).toBe('accepted');
		expect(await tryUpgrade(url, { Authorization: `Bearer ${TOKEN}` })).toBe('accepted');
		const db = connectClient(`${url}/?token=${TOKEN}`);
		await db.get('guarded').set('yes');
		// The command line presents it from the same variable, or from a file.
		const withEnv = await runCli(['get', 'guarded', '--url', url], { env: { SOCKETDB_TOKEN: TOKEN } });
		expect(withEnv).toMatchObject({ code: 0, stdout: '"yes"\n' });
		const tokenFile = join(directory(), 'token');
		writeFileSync(tokenFile, `${TOKEN}\n`);
		expect(await runCli(['get', 'guarded', '--url', url, '--token-file', tokenFile])).toMatchObject({ code: 0, stdout: '"yes"\n' });
		const without = await runCli(['get', 'guarded', '--url', url]);
		expect(without.code).toBe(1);
		expect(without.stderr).toMatch(/refused the connection \(401 Unauthorized\).*SOCKETDB_TOKEN or --token-file/);
		expect(without.stderr).not.toContain(TOKEN);
	});

	test('from --token-file, and wrong guesses from one address are throttled', async () => {
		const tokenFile = join(directory(), 'token');
		writeFileSync(tokenFile, `${TOKEN}\n`);
		const server = await serve(['--memory', '--token-file', tokenFile]);
		const url = `ws://127.0.0.1:${server.port}`;
		const answers: unknown[] = [];
		for (let i = 0; i < 12; i++) {
			const answer = await tryUpgrade(`${url}/?token=guess-${i}`);
			answers.push(answer === 'accepted' ? answer : answer.status);
		}
		expect(answers.slice(0, 10)).toEqual(Array(10).fill(401));
		expect(answers.slice(10)).toEqual([429, 429]);
		// While it has to wait, even the right token is refused unchecked.
		expect(await tryUpgrade(`${url}/?token=${TOKEN}`)).toMatchObject({ status: 429, headers: { 'retry-after': expect.any(String) } });
	});

	test('inspector logins take the same token, are throttled per address and expire', async () => {
		const server = await serve(['--memory'], { SOCKETDB_TOKEN: TOKEN });
		const login = (token: string) => httpGet(server.port, '/inspector/session', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'POST', `token=${encodeURIComponent(token)}`);
		const granted = await login(TOKEN);
		expect(granted.status).toBe(303);
		expect(String(granted.headers['set-cookie'])).toMatch(/socketdb-inspector=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200/);
		const statuses: number[] = [];
		for (let i = 0; i < 11; i++) statuses.push((await login(`guess-${i}`)).status);
		expect(statuses.slice(0, 10)).toEqual(Array(10).fill(303));
		expect(statuses[10]).toBe(429);
		// Upgrades share the count: the address that guessed logins may not guess tokens either.
		expect(await tryUpgrade(`ws://127.0.0.1:${server.port}/?token=guess`)).toMatchObject({ status: 429 });
	});
});

/** An HTTP server with the inspector's handler; other paths answer 204 to a request that is logged in, 401 to others. */
async function inspectorServer(options: InspectorOptions): Promise<{ logIn: () => Promise<string>; check: (cookie: string) => Promise<number> }> {
	const inspector = createInspector(options);
	const http = createServer((req, res) => {
		if (!inspector.handle(req, res)) res.writeHead(inspector.loggedIn(req) ? 204 : 401).end();
	});
	await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
	cleanups.push(() => new Promise((resolve) => http.close(resolve)));
	const port = (http.address() as AddressInfo).port;
	return {
		async logIn() {
			const login = await httpGet(port, '/inspector/session', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'POST', `token=${TOKEN}`);
			return String(login.headers['set-cookie']).split(';')[0]!;
		},
		check: async (cookie) => (await httpGet(port, '/check', { Cookie: cookie })).status,
	};
}

test('an inspector login stops counting once it expired', async () => {
	const { logIn, check } = await inspectorServer({ token: TOKEN, sessionMs: 300 });
	const cookie = await logIn();
	expect(await check(cookie)).toBe(204);
	await sleep(400);
	expect(await check(cookie)).toBe(401);
});

test('inspector logins are capped (1,000 by default): past the cap the oldest is logged out', async () => {
	const small = await inspectorServer({ token: TOKEN, maxSessions: 2 });
	const cookies = [await small.logIn(), await small.logIn()];
	expect(await Promise.all(cookies.map(small.check))).toEqual([204, 204]);
	cookies.push(await small.logIn());
	expect(await Promise.all(cookies.map(small.check))).toEqual([401, 204, 204]);

	const byDefault = await inspectorServer({ token: TOKEN });
	const first = await byDefault.logIn();
	for (let i = 1; i < 1000; i += 50) await Promise.all(Array.from({ length: Math.min(50, 1000 - i) }, byDefault.logIn));
	expect(await byDefault.check(first)).toBe(204);
	const last = await byDefault.logIn();
	expect([await byDefault.check(first), await byDefault.check(last)]).toEqual([401, 204]);

	expect(() => createInspector({ token: TOKEN, maxSessions: 0 })).toThrow(RangeError);
});

/** A copy of the built CLI package (its dependencies linked), whose files a test may take away. */
function copyOfCli(): { bin: string; script: string } {
	const root = directory();
	for (const part of ['package.json', 'bin', 'dist']) cpSync(join('cli', part), join(root, 'cli', part), { recursive: true });
	symlinkSync(join(process.cwd(), 'node_modules'), join(root, 'node_modules'), 'dir');
	return { bin: join(root, 'cli', 'bin', 'socketdb.js'), script: join(root, 'cli', 'dist', 'inspector', 'inspector.js') };
}

describe("the inspector page's script", () => {
	test('a missing build stops serve at start with one line; --no-inspector serves without it', async () => {
		const cli = copyOfCli();
		rmSync(cli.script);
		const result = await runCli(['serve', '--memory', '--port', '0'], { bin: cli.bin, timeoutMs: 10_000 });
		expect(result).toMatchObject({ code: 1, stdout: '' });
		expect(result.stderr).toBe(`socketdb: the inspector page is not built (${cli.script} is missing); run npm run build, or serve with --no-inspector\n`);
		const server = await serve(['--memory', '--no-inspector'], {}, cli.bin);
		expect((await httpGet(server.port, '/')).status).toBe(426);
		expect(await runCli(['set', 'a', '1', '--url', server.url])).toMatchObject({ code: 0 });
	});

	test('is read once at start: served even after the file is gone, and a request never ends the server', async () => {
		const cli = copyOfCli();
		const built = readFileSync(cli.script, 'latin1');
		const server = await serve(['--memory'], {}, cli.bin);
		rmSync(cli.script);
		expect(await httpGet(server.port, '/inspector.js')).toMatchObject({ status: 200, body: built });
		expect((await httpGet(server.port, '/')).status).toBe(200);
		expect(server.child.exitCode).toBeNull();
	});
});

describe('origins and hosts', () => {
	test("by default only the server's own pages may connect from a browser; --allow-origin adds others", async () => {
		const server = await serve(['--memory', '--allow-origin', 'https://app.example.com']);
		const url = `ws://127.0.0.1:${server.port}`;
		for (const origin of [`http://127.0.0.1:${server.port}`, `http://localhost:${server.port}`, 'https://app.example.com']) {
			expect(await tryUpgrade(url, { Origin: origin }), origin).toBe('accepted');
		}
		for (const origin of ['http://localhost:3000', 'https://evil.example.com', `http://evil.example.com:${server.port}`, 'null']) {
			expect(await tryUpgrade(url, { Origin: origin }), origin).toMatchObject({ status: 403 });
		}
		// Node clients send no Origin.
		expect(await tryUpgrade(url)).toBe('accepted');
	});

	test('the HTTP side answers only the host names it serves, which defeats DNS rebinding; --allow-host adds names', async () => {
		const server = await serve(['--memory', '--allow-host', 'db.example.com']);
		for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`, `db.example.com:${server.port}`]) {
			expect((await httpGet(server.port, '/', { Host: host })).status, host).toBe(200);
		}
		for (const host of [`rebind.evil.example:${server.port}`, 'localhost.evil.example', `127.0.0.1.evil.example:${server.port}`]) {
			const refused = await httpGet(server.port, '/', { Host: host });
			expect(refused.status, host).toBe(403);
			expect(refused.body).toContain('--allow-host');
		}
		expect(await tryUpgrade(`ws://127.0.0.1:${server.port}`, { Host: `rebind.evil.example:${server.port}` })).toMatchObject({ status: 403 });
		expect(await tryUpgrade(`ws://127.0.0.1:${server.port}`, { Host: `db.example.com:${server.port}` })).toBe('accepted');
	});
});

describe('--config', () => {
	test("docs/cli.md's lock-down config holds: every bypass is refused, what it allows works", async () => {
		const dir = directory();
		const configFile = join(dir, 'socketdb.config.mjs');
		writeFileSync(configFile, codeBlock('docs/cli.md', 'Locking a server down for untrusted clients', 'js'));
		const server = await serve(['--memory', '--host', '0.0.0.0', '--config', configFile], { SOCKETDB_TOKEN: TOKEN });
		const url = `ws://127.0.0.1:${server.port}/?token=${TOKEN}`;
		const errors: string[] = [];
		const db = connectClient(url, { plugins: [{ name: 'errors', hooks: { 'client:error': ({ code }) => void errors.push(code) } }] });
		await db.get('public').get('notes').set({ a: 'hello' });
		const refusals = await Promise.allSettled([
			db.get('config').set({ open: true }),
			db.get('publicity').set(1),
			db.set({ public: { x: 1 }, config: { x: 1 } } as never),
			db.set({}, { owner: 'me' }),
			db.get('config').delete(),
			db.get('publicity').delete(),
			db.delete(),
		]);
		expect(refusals.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as { code: string }).code : 'written'))).toEqual(Array(7).fill('VETOED'));
		// Reads are limited the same way (a second client, since one client reads through its highest path); public/ reads work.
		const values: unknown[] = [];
		db.get('public').get('notes').on((value) => void values.push(value));
		await expect.poll(() => values).toEqual([{ a: 'hello' }]);
		const reader = () => connectClient(url, { plugins: [{ name: 'errors', hooks: { 'client:error': ({ code }) => void errors.push(code) } }] });
		reader().once(() => void values.push('the root was read'));
		reader().get('config').onKeys(() => void values.push('config keys were read'));
		await expect.poll(() => errors.filter((code) => code === 'FORBIDDEN').length).toBe(2);
		expect(values).toEqual([{ a: 'hello' }]);
		// The limits apply: a frame over 64 KiB is refused.
		await expect(db.get('public').get('big').set('x'.repeat(70_000))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
		// Only the app's pages, besides the server's own.
		expect(await tryUpgrade(url, { Origin: 'https://app.example.com' })).toBe('accepted');
		expect(await tryUpgrade(url, { Origin: 'https://evil.example.com' })).toMatchObject({ status: 403 });
	});

	test("a JSON config gives limits; unknown options, flags' options and plugins in JSON are refused by name", async () => {
		const dir = directory();
		const file = (name: string, content: unknown) => {
			const path = join(dir, name);
			writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
			return path;
		};
		const server = await serve(['--memory', '--config', file('limits.json', { limits: { maxFrameBytes: 1024 }, allowedOrigins: ['https://app.example.com'] })]);
		const db = connectClient(server.url);
		await expect(db.get('big').set('x'.repeat(2_000))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
		expect(await tryUpgrade(server.url, { Origin: 'https://app.example.com' })).toBe('accepted');
		for (const [name, content, message] of [
			['unknown.json', { limit: {} }, 'unknown option "limit"'],
			['port.json', { port: 1 }, '"port" is not set in a config; use --port'],
			['plugins.json', { plugins: [{ name: 'x', hooks: {} }] }, 'plugins are code; give them in a JS config'],
			['bad-limit.json', { limits: { maxDepth: -1 } }, 'limits.maxDepth must be a positive number'],
			['broken.json', '{ nope', 'is not valid JSON'],
			['config.yaml', 'a: 1', 'must be a .json, .js, .mjs or .cjs file'],
		] as const) {
			const result = await runCli(['serve', '--memory', '--port', '0', '--config', file(name, content)]);
			expect(result.code, name).toBe(1);
			expect(result.stderr, name).toContain(message);
		}
	});
});

describe('small ones', () => {
	test('/favicon.ico is answered with an icon', async () => {
		const server = await serve(['--memory']);
		const icon = await httpGet(server.port, '/favicon.ico');
		expect(icon.status).toBe(200);
		expect(icon.headers['content-type']).toBe('image/x-icon');
		expect(icon.body.slice(0, 4)).toBe('\u0000\u0000\u0001\u0000');
	});

	test('the data directory is not created when the port is taken', async () => {
		const first = await serve(['--memory']);
		const data = join(directory(), 'never');
		const second = await runCli(['serve', '--data', data, '--port', String(first.port)]);
		expect(second.code).toBe(1);
		expect(second.stderr).toContain('the port is in use');
		expect(existsSync(data)).toBe(false);
	});

	test('a path with an empty segment is refused by the command line before anything is sent', async () => {
		const server = await serve(['--memory']);
		await runCli(['set', 'team', '{"ada":true}', '--url', server.url]);
		for (const path of ['team/', '/team', 'team//x']) {
			const result = await runCli(['set', path, '"carol"', '--url', server.url]);
			expect(result.code, path).toBe(1);
			expect(result.stderr, path).toMatch(/^socketdb: invalid path \(INVALID_PATH\): path ".*" has an empty segment/);
		}
		expect(JSON.parse((await runCli(['get', 'team', '--url', server.url])).stdout)).toEqual({ ada: true });
	});
});
