import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { nodeify } from '@socketdb/core';
import { createWebsocketServer, SocketDBServer } from '@socketdb/server';
import { launchChromium } from '../helpers/browser';
import { sleep } from '../helpers/server';

// @socketdb/react in a real Chromium: a page bundled from the workspace packages and React 19
// (test/browser/react-page/page.ts) against a SocketDB server on the same HTTP port.

let browser: Browser;
let bundle: string;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
	const built = await build({
		entryPoints: ['test/browser/react-page/page.ts'],
		bundle: true,
		write: false,
		format: 'esm',
		platform: 'browser',
		conditions: ['socketdb-source'],
		define: { 'process.env.NODE_ENV': '"development"' },
		logLevel: 'warning',
	});
	bundle = built.outputFiles[0]!.text;
	browser = await launchChromium();
}, 60_000);
afterAll(async () => {
	await browser?.close();
});
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The page's HTTP server with a SocketDB server on it: `slow` answers its subscriptions late, `secret` refuses them. */
async function rig() {
	const http: Server = createServer((req, res) => {
		if (req.url === '/page.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(bundle);
		else res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><div id="root"></div><script type="module" src="/page.js"></script>');
	});
	await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
	const server = SocketDBServer({
		updateInterval: 0,
		socketServer: createWebsocketServer({ server: http }),
		onError: () => undefined,
		plugins: [
			{
				name: 'slow-and-secret',
				hooks: {
					'server:subscribe': async ({ path }) => {
						if (path === 'slow') await sleep(400);
						if (path === 'secret') throw new Error('not for you');
					},
				},
			},
		],
	});
	server.listen();
	await server.update(nodeify({ greeting: 'hello', slow: 'at last', secret: 42, todos: { a: { title: 'milk' }, b: { title: 'bread' } }, scores: { ada: { points: 3 }, bob: { points: 9 }, cy: { points: 5 } } }));
	cleanups.push(async () => {
		await server.close();
		await new Promise((resolve) => http.close(resolve));
	});
	return { server, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/` };
}

/** Opens the page; `received.frames` counts the WebSocket frames it is sent. */
async function open(url: string, received = { frames: 0 }): Promise<Page> {
	const page = await browser.newPage();
	cleanups.push(() => page.close());
	page.on('websocket', (socket) => socket.on('framereceived', () => void received.frames++));
	const errors: string[] = [];
	page.on('pageerror', (error) => void errors.push(error.message));
	cleanups.push(() => expect(errors).toEqual([]));
	await page.goto(url);
	await page.waitForFunction(() => window.ready === true);
	return page;
}

const text = (page: Page, id: string) => page.getByTestId(id).textContent();
const renders = (page: Page) => page.evaluate(() => ({ ...window.renders }));

test('live values, keys and a query render, and follow the server', async () => {
	const { server, url } = await rig();
	const page = await open(url);
	await expect.poll(() => text(page, 'connection')).toBe('connected');
	await expect.poll(() => text(page, 'value:greeting')).toBe('ready:"hello"');
	await expect.poll(() => page.getByTestId('todos').locator('li').allTextContents()).toEqual(['milk', 'bread']);
	await expect.poll(() => text(page, 'top')).toBe('cy=5,bob=9');

	await server.update(nodeify({ greeting: 'hi', todos: { c: { title: 'eggs' } }, scores: { ada: { points: 10 } } }));
	await expect.poll(() => text(page, 'value:greeting')).toBe('ready:"hi"');
	await expect.poll(() => page.getByTestId('todos').locator('li').allTextContents()).toEqual(['milk', 'bread', 'eggs']);
	await expect.poll(() => text(page, 'top')).toBe('bob=9,ada=10');
	await server.delete('greeting');
	await expect.poll(() => text(page, 'value:greeting')).toBe('ready:null');
});

test('loading until the first value, then ready; error when the server refuses the subscription', async () => {
	const { url } = await rig();
	const page = await open(url);
	await expect.poll(() => text(page, 'value:greeting')).toBe('ready:"hello"');
	// `slow` is answered 400 ms late: still loading when greeting is there.
	expect(await text(page, 'value:slow')).toBe('loading:null');
	await expect.poll(() => text(page, 'value:slow')).toBe('ready:"at last"');
	await expect.poll(() => text(page, 'value:secret')).toBe('error:FORBIDDEN');
});

test('a change to one path re-renders only the component that shows it', async () => {
	const { server, url } = await rig();
	const page = await open(url);
	await expect.poll(() => page.getByTestId('todos').locator('li').allTextContents()).toEqual(['milk', 'bread']);
	await expect.poll(() => text(page, 'top')).toBe('cy=5,bob=9');
	await sleep(100);
	const before = await renders(page);
	await server.update(nodeify({ todos: { a: { title: 'oat milk' } } }));
	await expect.poll(() => text(page, 'todo:a')).toBe('oat milk');
	await sleep(100);
	const after = await renders(page);
	expect(after['todo:a']).toBe(before['todo:a']! + 1);
	for (const name of Object.keys(before)) if (name !== 'todo:a') expect(after[name], name).toBe(before[name]);
	// A score outside the top two re-renders nothing.
	await server.update(nodeify({ scores: { ada: { points: 4 } } }));
	await sleep(150);
	expect(await renders(page)).toEqual(after);
});

test('StrictMode mounts twice without leaking: after unmounting, the server sends the page nothing more', async () => {
	const { server, url } = await rig();
	const received = { frames: 0 };
	const page = await open(`${url}?strict`, received);
	await expect.poll(() => text(page, 'value:greeting')).toBe('ready:"hello"');
	await expect.poll(() => page.getByTestId('todos').locator('li').allTextContents()).toEqual(['milk', 'bread']);
	await expect.poll(() => text(page, 'top')).toBe('cy=5,bob=9');
	await expect.poll(() => text(page, 'value:slow')).toBe('ready:"at last"');
	await server.update(nodeify({ greeting: 'strict' }));
	await expect.poll(() => text(page, 'value:greeting')).toBe('ready:"strict"');
	expect(received.frames).toBeGreaterThan(0);

	await page.evaluate(() => window.unmount());
	await sleep(200);
	// Every subscription went with the components: the server has nothing to send.
	received.frames = 0;
	await server.update(nodeify({ greeting: 'gone', todos: { a: { title: 'x' }, d: { title: 'y' } }, scores: { ada: { points: 100 } }, slow: 'x' }));
	await sleep(300);
	const frames = received.frames;
	expect(frames).toBe(0);
});
