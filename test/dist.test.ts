import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, test } from 'vitest';

// The other tests run against the TypeScript sources; this one runs the built packages
// in plain Node 20 (no loader, no global WebSocket), as an application would.
const script = `
import { SocketDBServer } from '@socketdb/server';
import { SocketDBClient } from '@socketdb/client';
import { pluginValidate } from '@socketdb/plugin-validate';
if (typeof globalThis.WebSocket !== 'undefined') delete globalThis.WebSocket;
const server = SocketDBServer({ updateInterval: 0, plugins: [pluginValidate({ type: 'object' })] });
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
	expect(existsSync('server/dist/index.js'), 'run `npm run build` first').toBe(true);
	const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
	expect(result.stderr).toBe('');
	expect(result.stdout.trim()).toBe('"hello"');
}, 30_000);
