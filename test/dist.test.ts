import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';

// The other tests run against the TypeScript sources; these run the built packages in plain
// Node 20 (no loader, no global WebSocket), as an application would.

function runModule(script: string, args: string[] = []) {
	return spawnSync(process.execPath, ['--input-type=module', '-e', script, ...args], { encoding: 'utf8', timeout: 20_000 });
}

const serverAndClient = `
import { SocketDBServer } from '@socketdb/server';
import { SocketDBClient } from '@socketdb/client';
import { pluginValidate } from '@socketdb/plugin-validate';
import { pluginRules } from '@socketdb/plugin-rules';
import { testRules } from '@socketdb/plugin-rules/testing';
import { createLmdbStore } from '@socketdb/store-lmdb';
import { createInspector } from '@socketdb/cli';
if (typeof globalThis.WebSocket !== 'undefined') delete globalThis.WebSocket;
const inspector = createInspector();
const server = SocketDBServer({ updateInterval: 0, store: createLmdbStore({ path: process.argv[1] }), plugins: [pluginValidate({ type: 'object' }), pluginRules({ greeting: { '.read': true, '.write': true } }), inspector.plugin] });
if (testRules({ '.read': true }).canRead('x') !== true) throw new Error('testRules');
server.listen(0, async () => {
	const { port } = server.address();
	const db = SocketDBClient();
	db.connect('ws://127.0.0.1:' + port);
	await db.get('greeting').set('hello');
	const value = await new Promise((resolve) => db.get('greeting').once(resolve));
	db.disconnect();
	await server.close();
	console.log(JSON.stringify(value));
}, '127.0.0.1');
`;

test('the built packages run in plain Node without a global WebSocket', () => {
	expect(existsSync('cli/dist/index.js'), 'run `npm run build` first').toBe(true);
	const directory = mkdtempSync(join(tmpdir(), 'socketdb-dist-'));
	try {
		const result = runModule(serverAndClient, [directory]);
		expect(result.stderr).toBe('');
		expect(result.stdout.trim()).toBe('"hello"');
	} finally {
		rmSync(directory, { recursive: true, force: true });
	}
}, 30_000);

// Every module the import resolves is reported by a resolve hook, native add-ons' packages included.
const serverImports = `
import { register } from 'node:module';
const resolved = [];
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => resolved.push(url));
const hooks = 'let port; export function initialize(data) { port = data.port; } export async function resolve(specifier, context, next) { const result = await next(specifier, context); port.postMessage(result.url); return result; }';
register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
await import('@socketdb/server');
await import('@socketdb/server/crossws');
await new Promise((done) => setTimeout(done, 50));
port1.close();
console.log(JSON.stringify(resolved));
`;

test('importing @socketdb/server loads no lmdb, commander, crossws or client module', () => {
	const result = runModule(serverImports);
	expect(result.stderr).toBe('');
	const resolved = JSON.parse(result.stdout) as string[];
	expect(resolved.some((url) => url.includes('/server/dist/index.js'))).toBe(true);
	expect(resolved.filter((url) => /node_modules\/(lmdb|commander|crossws)\/|\/client\/(dist|src)\//.test(url))).toEqual([]);
}, 30_000);

test('importing @socketdb/server/crossws alone loads no ws module: a crossws app does without the ws transport', () => {
	const result = runModule(serverImports.replace("await import('@socketdb/server');\n", ''));
	expect(result.stderr).toBe('');
	const resolved = JSON.parse(result.stdout) as string[];
	expect(resolved.some((url) => url.includes('/server/dist/crossws.js'))).toBe(true);
	expect(resolved.some((url) => url.includes('/server/dist/index.js'))).toBe(false);
	expect(resolved.filter((url) => /node_modules\/(ws|lmdb|commander|crossws)\//.test(url))).toEqual([]);
}, 30_000);
