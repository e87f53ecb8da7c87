import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { createWebsocketServer, SocketDBServer } from '@socketdb/server';
import { build } from 'esbuild';
import { expect, test } from 'vitest';
import { buildBrowserBundle, launchChromium } from '../helpers/browser';

// An app's page as a bundler (Vite, esbuild) builds it: `import { SocketDBClient } from '@socketdb/client'`
// resolved with the browser's conditions, from the built package (no source condition), into ES
// modules with their chunks, loaded by a real Chromium from a real server.

const APP = `
import { SocketDBClient, mockSocketClient } from '@socketdb/client';
const db = SocketDBClient();
db.connect(); // the page's own host
window.seen = [];
db.get('greeting').on((value) => window.seen.push(value));
await db.get('greeting').set('hello from a bundled page');
// A chunk the package loads only when asked for (the in-process transport) loads from beside the page.
const { socketClient } = mockSocketClient();
window.mockReady = new Promise((resolve) => socketClient.onClose(() => resolve(true)));
socketClient.connect('ws://localhost:1');
`;

test('a page that imports @socketdb/client through a bundler connects, writes and reads; its chunks load', async () => {
	buildBrowserBundle();
	const directory = mkdtempSync(join(tmpdir(), 'socketdb-bundled-page-'));
	const http = createServer((req, res) => {
		const path = new URL(req.url ?? '/', 'http://x').pathname;
		const file = path === '/' ? 'index.html' : normalize(path).replace(/^\/+/, '');
		try {
			const body = readFileSync(join(directory, file));
			res.writeHead(200, { 'Content-Type': file.endsWith('.html') ? 'text/html' : 'text/javascript' }).end(body);
		} catch {
			res.writeHead(404).end();
		}
	});
	const server = SocketDBServer({ socketServer: createWebsocketServer({ server: http }), updateInterval: 0 });
	const browser = await launchChromium();
	try {
		writeFileSync(join(directory, 'app.ts'), APP);
		const result = await build({
			entryPoints: [join(directory, 'app.ts')],
			bundle: true,
			format: 'esm',
			splitting: true,
			outdir: join(directory, 'assets'),
			platform: 'browser',
			// What Vite resolves a package with in a browser build; never this project's source condition.
			conditions: ['browser', 'import', 'module', 'default'],
			target: 'es2022',
			nodePaths: [join(process.cwd(), 'node_modules')],
			metafile: true,
			logLevel: 'silent',
		});
		const inputs = Object.keys(result.metafile.inputs);
		expect(inputs.some((input) => input.endsWith('client/dist/socketdb-client.browser.js'))).toBe(true);
		expect(inputs.filter((input) => input.includes('/src/'))).toEqual([]);
		writeFileSync(join(directory, 'index.html'), '<!doctype html><meta charset="utf-8"><title>app</title><script type="module" src="/assets/app.js"></script>');
		await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
		server.listen();
		const page = await browser.newPage();
		const errors: string[] = [];
		page.on('pageerror', (error) => errors.push(error.message));
		await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
		await expect.poll(() => page.evaluate(() => (window as unknown as { seen: unknown[] }).seen?.at(-1))).toBe('hello from a bundled page');
		expect(server.get('greeting')).toEqual({ value: 'hello from a bundled page' });
		expect(await page.evaluate(() => (window as unknown as { mockReady: Promise<boolean> }).mockReady)).toBe(true);
		expect(errors).toEqual([]);
	} finally {
		await browser.close();
		await server.close();
		await new Promise((resolve) => http.close(resolve));
		rmSync(directory, { recursive: true, force: true });
	}
}, 60_000);
