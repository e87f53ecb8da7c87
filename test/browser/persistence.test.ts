import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { nodeify } from '@socketdb/core';
import { createWebsocketServer, SocketDBServer } from '@socketdb/server';
import { launchChromium } from '../helpers/browser';
import { freePort } from '../helpers/redis';
import { sleep } from '../helpers/server';

// Offline persistence in a real Chromium: writes made while the server is down survive a reload
// and arrive exactly once; cached values show before the connection; two tabs never send one
// write twice; without IndexedDB the client warns and goes on in memory.

let browser: Browser;
let context: BrowserContext;
let bundle: string;
let pages: Server;
let pagesUrl: string;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
	const built = await build({ entryPoints: ['test/browser/persistence-page/page.ts'], bundle: true, write: false, format: 'esm', splitting: true, outdir: 'out', platform: 'browser', conditions: ['socketdb-source'], logLevel: 'warning' });
	const files = new Map(built.outputFiles.map((file) => [`/${file.path.split('/out/')[1]}`, file.text]));
	bundle = files.get('/page.js')!;
	pages = createServer((req, res) => {
		const path = new URL(req.url!, 'http://x').pathname;
		const script = path === '/page.js' ? bundle : files.get(path);
		if (script !== undefined) res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
		else res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>');
	});
	await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
	pagesUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}/`;
	browser = await launchChromium();
	context = await browser.newContext();
}, 60_000);
afterAll(async () => {
	await browser?.close();
	await new Promise((resolve) => pages?.close(resolve));
});
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A database server on `port` holding `todos: { a: 'first' }`, counting the writes each path receives from clients. */
async function database(port: number) {
	const http = createServer();
	const writes = new Map<string, number>();
	const server = SocketDBServer({
		updateInterval: 0,
		socketServer: createWebsocketServer({ server: http }),
		plugins: [
			{
				name: 'count-writes',
				hooks: {
					'server:update': ({ data }, { client }) => {
						if (client.id === null) return;
						const todos = (data.value as { todos?: { value: Record<string, unknown> } }).todos?.value ?? {};
						for (const key of Object.keys(todos)) writes.set(key, (writes.get(key) ?? 0) + 1);
					},
				},
			},
		],
	});
	await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
	server.listen();
	await server.update(nodeify({ todos: { a: 'first' } }));
	let stopped = false;
	const stop = async () => {
		if (stopped) return;
		stopped = true;
		await server.close();
		await new Promise((resolve) => http.close(resolve));
	};
	cleanups.push(stop);
	return { server, writes, stop };
}

async function open(query: string): Promise<Page> {
	const page = await context.newPage();
	cleanups.push(() => page.close());
	await page.goto(`${pagesUrl}?${query}`);
	await page.waitForFunction(() => window.ready === true);
	return page;
}

const seen = (page: Page) => page.evaluate(() => window.todosSeen.map(({ value, state }) => ({ value, state })));

test('writes made while the server is down survive a reload and arrive once; the cached value shows before the connection', async () => {
	const port = await freePort();
	const first = await database(port);
	const page = await open(`db=${port}&name=reload`);
	await expect.poll(async () => (await seen(page)).at(-1)).toEqual({ value: { a: 'first' }, state: 'connected' });
	// The value is stored a moment after it changed.
	await sleep(400);
	await first.stop();
	await expect.poll(() => page.evaluate(() => window.connection)).not.toBe('connected');
	await page.evaluate(() => {
		void window.persistentDb.get('todos/b').set('written offline').then(undefined, () => undefined);
		void window.persistentDb.get('todos/c').set('also offline').then(undefined, () => undefined);
	});
	await sleep(300);
	await page.reload();
	await page.waitForFunction(() => window.ready === true);
	// Before any connection: the value the page saw last time.
	await expect.poll(() => seen(page)).toEqual([{ value: { a: 'first' }, state: 'disconnected' }]);

	const second = await database(port);
	await expect.poll(async () => (await seen(page)).at(-1)).toEqual({ value: { a: 'first', b: 'written offline', c: 'also offline' }, state: 'connected' });
	await sleep(300);
	expect(Object.fromEntries(second.writes)).toEqual({ b: 1, c: 1 });
	// Answered now: another reload sends nothing again.
	await page.reload();
	await page.waitForFunction(() => window.ready === true);
	await expect.poll(() => page.evaluate(() => window.connection)).toBe('connected');
	await sleep(300);
	expect(Object.fromEntries(second.writes)).toEqual({ b: 1, c: 1 });
});

test('a write made before IndexedDB opened is stored with the number it is sent with: no later page sends it again', async () => {
	const port = await freePort();
	const first = await database(port);
	const page = await open(`db=${port}&name=early`);
	await expect.poll(() => page.evaluate(() => window.connection)).toBe('connected');
	await page.evaluate(async () => {
		await window.persistentDb.get('todos/one').set(1);
		await window.persistentDb.get('todos/two').set(2);
	});
	await first.stop();
	await page.evaluate(() => void window.persistentDb.get('todos/left').set('left by the page before').then(undefined, () => undefined));
	await sleep(200);
	// The next load restores that write and makes one of its own at once, before IndexedDB has opened.
	await page.goto(`${pagesUrl}?db=${port}&name=early&writeAtLoad=early`);
	await page.waitForFunction(() => window.ready === true);
	await sleep(200);
	const second = await database(port);
	await expect.poll(async () => (await seen(page)).at(-1)?.value).toEqual({ a: 'first', left: 'left by the page before', early: 'written at load' });
	await sleep(300);
	expect(Object.fromEntries(second.writes)).toEqual({ left: 1, early: 1 });
	// A server that never heard of this client (so cannot tell a resent write): the next page sends it nothing.
	await second.stop();
	const third = await database(port);
	await page.goto(`${pagesUrl}?db=${port}&name=early`);
	await page.waitForFunction(() => window.ready === true);
	await expect.poll(() => page.evaluate(() => window.connection)).toBe('connected');
	await sleep(300);
	expect(Object.fromEntries(third.writes)).toEqual({});
});

test('two tabs of one origin keep their own unsent writes: each write arrives once', async () => {
	const port = await freePort();
	const one = await open(`db=${port}&name=tabs`);
	const two = await open(`db=${port}&name=tabs`);
	await one.evaluate(() => void window.persistentDb.get('todos/one').set('from tab one'));
	await two.evaluate(() => void window.persistentDb.get('todos/two').set('from tab two'));
	await sleep(200);
	// Tab one reloads while the server is still down: its write comes back with it, not with tab two.
	await one.reload();
	await one.waitForFunction(() => window.ready === true);
	const db = await database(port);
	await expect.poll(async () => (await seen(one)).at(-1)?.value).toEqual({ a: 'first', one: 'from tab one', two: 'from tab two' });
	await expect.poll(async () => (await seen(two)).at(-1)?.value).toEqual({ a: 'first', one: 'from tab one', two: 'from tab two' });
	await sleep(300);
	expect(Object.fromEntries(db.writes)).toEqual({ one: 1, two: 1 });
});

test('without IndexedDB the client warns once and goes on in memory', async () => {
	const port = await freePort();
	const db = await database(port);
	const page = await context.newPage();
	cleanups.push(() => page.close());
	await page.addInitScript(() => Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true }));
	const warnings: string[] = [];
	page.on('console', (message) => void (message.type() === 'warning' && warnings.push(message.text())));
	await page.goto(`${pagesUrl}?db=${port}&name=none`);
	await expect.poll(async () => (await seen(page)).at(-1)).toEqual({ value: { a: 'first' }, state: 'connected' });
	await page.evaluate(() => window.persistentDb.get('todos/b').set('in memory'));
	await expect.poll(() => db.writes.get('b')).toBe(1);
	expect(warnings.filter((warning) => warning.includes('persistence'))).toHaveLength(1);
	expect(warnings[0]).toContain('IndexedDB is not available');
});
