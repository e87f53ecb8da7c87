import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { SocketDBClient } from '@socketdb/client';
import { afterEach, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { codeBlocks } from './helpers/docs';

// The recipes of docs/crossws.md are the programs in examples/h3/, run here as a user runs them
// (h3 v2 and crossws from the registry, real sockets on loopback): the database answers on its
// route, the app's HTTP routes answer beside it, and every secret is checked.

const SECRETS = { DB_CLIENT_TOKEN: 'client-secret', ADMIN_TOKEN: 'admin-secret' };
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const children: ChildProcess[] = [];

afterEach(async () => {
	for (const child of children.splice(0)) {
		child.kill('SIGKILL');
		if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
	}
});

/** Runs a recipe; resolves with its URL once it listens, or with its exit code and output when it stops first. */
function start(program: string, env: Record<string, string | undefined>): Promise<{ url?: string; code?: number | null; output: string }> {
	const child = spawn(process.execPath, ['--conditions=socketdb-source', '--import', tsx, `examples/h3/${program}`], {
		env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DB_CLIENT_TOKEN: undefined, ADMIN_TOKEN: undefined, ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	children.push(child);
	let output = '';
	return new Promise((resolve) => {
		const read = (chunk: Buffer) => {
			output += chunk.toString();
			const listening = /listening on (http:\/\/\S+?)\/?\n/.exec(output);
			if (listening !== null) resolve({ url: listening[1]!, output });
		};
		child.stdout!.on('data', read);
		child.stderr!.on('data', read);
		child.once('exit', (code) => resolve({ code, output }));
	});
}

function client(url: string) {
	const db = SocketDBClient();
	db.connect(url);
	children.push({ kill: () => db.disconnect(), exitCode: 0 } as unknown as ChildProcess);
	return db;
}

/** The HTTP status a WebSocket upgrade to `url` is answered with (101 when it opens). */
function upgradeStatus(url: string): Promise<number> {
	return new Promise((resolve, reject) => {
		const socket = new WebSocket(url);
		socket.once('open', () => {
			socket.close();
			resolve(101);
		});
		socket.once('unexpected-response', (_req, res) => {
			resolve(res.statusCode ?? 0);
			socket.terminate();
		});
		socket.once('error', (error) => reject(error));
	});
}

describe.each(['serve.ts', 'node-server.ts'])('examples/h3/%s', (program) => {
	test('the database answers on /_db with the client token, the HTTP routes beside it, and admins get stats and broadcast', async () => {
		const { url, output } = await start(program, SECRETS);
		expect(url, output).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		const ws = url!.replace('http://', 'ws://');

		const health = await fetch(`${url}/health`);
		expect(health.status).toBe(200);
		expect(await health.json()).toEqual({ ok: true });

		const db = client(`${ws}/_db?token=client-secret&user=ada`);
		const announcements: unknown[] = [];
		db.intercept('client:message', (data: unknown) => void announcements.push(data));
		await db.get('greeting').set('hello');
		const value = await new Promise((resolve) => db.get('greeting').once(resolve));
		expect(value).toBe('hello');
		// HTTP still answers while a client is connected.
		expect((await fetch(`${url}/health`)).status).toBe(200);

		const admin = { authorization: 'Bearer admin-secret' };
		const stats = await fetch(`${url}/admin/stats`, { headers: admin });
		expect(stats.status).toBe(200);
		expect(await stats.json()).toMatchObject({ total: 1 });
		const sent = await fetch(`${url}/admin/announce`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'maintenance at noon' }) });
		expect(sent.status).toBe(200);
		await expect.poll(() => announcements).toEqual([{ announcement: 'maintenance at noon' }]);
		db.disconnect();
	}, 30_000);

	test('wrong and missing secrets are refused: 401 at the upgrade and on the admin routes', async () => {
		const { url, output } = await start(program, SECRETS);
		expect(url, output).toBeDefined();
		const ws = url!.replace('http://', 'ws://');
		expect(await upgradeStatus(`${ws}/_db?token=wrong`)).toBe(401);
		expect(await upgradeStatus(`${ws}/_db`)).toBe(401);
		expect(await upgradeStatus(`${ws}/_db?token=client-secret`)).toBe(101);
		const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: 'Bearer undefined' }, { authorization: 'Bearer ' }];
		for (const headers of attempts) {
			expect((await fetch(`${url}/admin/stats`, { headers })).status).toBe(401);
			expect((await fetch(`${url}/admin/announce`, { method: 'POST', headers, body: '{"text":"x"}' })).status).toBe(401);
		}
	}, 30_000);

	test.each(['DB_CLIENT_TOKEN', 'ADMIN_TOKEN'])('with %s unset it refuses to start, and says why', async (name) => {
		const { url, code, output } = await start(program, { ...SECRETS, [name]: undefined });
		expect(url).toBeUndefined();
		expect(code).not.toBe(0);
		expect(output).toContain(`${name} is not set; refusing to start without it`);
	}, 30_000);
});

test("node-server.ts hands the database only its own path's upgrades: any other gets 404", async () => {
	const { url, output } = await start('node-server.ts', SECRETS);
	expect(url, output).toBeDefined();
	const ws = url!.replace('http://', 'ws://');
	expect(await upgradeStatus(`${ws}/other?token=client-secret`)).toBe(404);
	expect(await upgradeStatus(`${ws}/?token=client-secret`)).toBe(404);
	expect(await upgradeStatus(`${ws}/_db?token=client-secret`)).toBe(101);
}, 30_000);

test('docs/crossws.md shows the recipes as they are in examples/h3/', () => {
	const shown = new Map(codeBlocks('docs/crossws.md').flatMap((block) => {
		const name = /^\/\/ ([\w-]+\.ts)$/.exec(block.code.split('\n', 1)[0]!)?.[1];
		return name === undefined ? [] : [[name, block.code] as const];
	}));
	for (const file of ['database.ts', 'routes.ts', 'serve.ts', 'node-server.ts']) {
		expect(shown.get(file), file).toBe(readFileSync(`examples/h3/${file}`, 'utf8').trimEnd());
	}
});
