import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SocketDBClient, type SocketDBClientAPI } from '@socketdb/client';
import { createInspector, createWebsocketServer, SocketDBServer } from '@socketdb/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { startServe, temporaryDirectory, type ServeProcess } from '../helpers/cli';
import { launchChromium } from '../helpers/browser';
import { waitFor } from '../helpers/server';

// UPDATE_SCREENSHOTS=1 also writes the screenshot linked from docs/inspector.md.
const SCREENSHOT = process.env['UPDATE_SCREENSHOTS'] === '1' ? 'docs/images/inspector.png' : 'test-results/inspector.png';

let browser: Browser;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
	browser = await launchChromium();
}, 60_000);
afterAll(async () => {
	await browser?.close();
});
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(args: string[] = ['--memory'], env: Record<string, string> = {}): Promise<ServeProcess> {
	const server = await startServe(args, { env });
	cleanups.push(async () => {
		server.child.kill('SIGKILL');
		await server.exited;
	});
	return server;
}

function nodeClient(url: string): SocketDBClientAPI {
	const db = SocketDBClient();
	db.connect(url);
	cleanups.push(() => db.disconnect());
	return db;
}

async function openInspector(httpUrl: string): Promise<Page> {
	const page = await browser.newPage();
	cleanups.push(() => page.close());
	await page.goto(httpUrl);
	await page.waitForSelector('#status[data-state=connected]');
	return page;
}

const row = (page: Page, path: string) => page.locator(`li[data-path="${path}"] > .row`);

test('the page from socketdb serve shows writes live, and its edits and deletes reach Node clients', async () => {
	// The defaults of `npm start`: an LMDB data directory.
	const data = temporaryDirectory('socketdb-inspector-');
	cleanups.push(data.remove);
	const server = await serve(['--data', data.path]);
	const httpUrl = server.url.replace('ws://', 'http://') + '/';
	const db = nodeClient(server.url);
	await db.get('greeting').set('hello');
	const page = await openInspector(httpUrl);

	// The root's first level is shown with its values.
	await expect.poll(() => row(page, 'greeting').locator('.value').textContent()).toBe('"hello"');

	// A value written by a Node client appears within a second, and flashes.
	const writtenAt = Date.now();
	await db.get('todos').set({ milk: { done: false }, bread: { done: true } }, { owner: 'ada' });
	await row(page, 'todos').waitFor({ timeout: 1000 });
	expect(Date.now() - writtenAt).toBeLessThan(1000);
	// Small objects near the top open by themselves, so their values are seen at once, and show their meta.
	await expect.poll(() => row(page, 'todos/milk/done').locator('.value').textContent()).toBe('false');
	await expect.poll(() => row(page, 'todos').locator('.meta').textContent()).toBe('meta {"owner":"ada"}');
	await db.get('todos').set({}, { owner: 'grace' });
	await expect.poll(() => row(page, 'todos').locator('.meta').textContent()).toBe('meta {"owner":"grace"}');
	// A larger one waits to be opened.
	await db.get('big').set(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, i])));
	await expect.poll(() => row(page, 'big').locator('.value').textContent()).toBe('{ 12 keys }');
	await row(page, 'big').locator('.toggle').click();
	await expect.poll(() => row(page, 'big/k11').locator('.value').textContent()).toBe('11');
	await row(page, 'big').locator('.toggle').click();
	await page.locator('li[data-path="big/k11"]').waitFor({ state: 'detached' });
	await db.get('greeting').set('hello again', { by: 'node' });
	await expect.poll(() => row(page, 'greeting').locator('.value').textContent()).toBe('"hello again"');
	await expect.poll(() => row(page, 'greeting').locator('.meta').textContent()).toBe('meta {"by":"node"}');

	// An edit on the page reaches a Node client.
	const seen: unknown[] = [];
	db.get('todos/milk/done').on((value) => void seen.push(value));
	await row(page, 'todos/milk/done').locator('button.edit').click();
	await row(page, 'todos/milk/done').locator('input[name=value]').fill('true');
	await row(page, 'todos/milk/done').locator('input[name=value]').press('Enter');
	await waitFor(() => seen.at(-1) === true, 'the edit on the Node client');

	// A child added on the page, then a delete on the page.
	await row(page, 'todos').locator('button.add').click();
	await row(page, 'todos').locator('input[name=key]').fill('eggs');
	await row(page, 'todos').locator('input[name=value]').fill('{"done": false}');
	await row(page, 'todos').locator('input[name=value]').press('Enter');
	const eggs: unknown[] = [];
	db.get('todos/eggs').on((value) => void eggs.push(value));
	await waitFor(() => JSON.stringify(eggs.at(-1)) === '{"done":false}', 'the added child');
	await row(page, 'todos/bread').locator('button.delete').click();
	await row(page, 'todos/bread').locator('button.delete').click();
	const bread: unknown[] = [];
	db.get('todos/bread').on((value) => void bread.push(value));
	await waitFor(() => bread.length > 0 && bread.at(-1) === null, 'the delete on the Node client');
	await page.locator('li[data-path="todos/bread"]').waitFor({ state: 'detached' });

	// The server tells the page its write rate once a second.
	for (let i = 0; i < 20; i++) void db.get('greeting').set(`hello ${i}`);
	await expect.poll(() => page.locator('#connections .chart').getAttribute('data-writes-per-second'), { timeout: 3000 }).toMatch(/^[1-9]\d*$/);

	// The connections panel counts a second client joining.
	await expect.poll(() => page.locator('#connections .total').textContent()).toBe('2 connected');
	nodeClient(server.url);
	await expect.poll(() => page.locator('#connections .total').textContent()).toBe('3 connected');
	await db.get('big').delete();
	await expect.poll(() => page.locator('#status').textContent()).toBe('connected');

	mkdirSync('test-results', { recursive: true });
	if (process.env['UPDATE_SCREENSHOTS'] === '1') {
		// A few seconds of writes, so the chart in the screenshot has something to show.
		for (let second = 0; second < 6; second++) {
			for (let i = 0; i < 20 * (second + 1); i++) void db.get('greeting').set(`hello ${second}.${i}`);
			await new Promise((resolve) => setTimeout(resolve, 1000));
		}
	}
	await page.screenshot({ path: SCREENSHOT, fullPage: true });
});

test('a vetoed edit shows its reason on the page', async () => {
	const inspector = createInspector();
	const http: Server = createServer((req, res) => {
		if (!inspector.handle(req, res)) res.writeHead(404).end();
	});
	await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
	const server = SocketDBServer({
		keepAliveInterval: 0,
		onError: () => undefined,
		socketServer: createWebsocketServer({ server: http, initializeSession: inspector.initializeSession }),
		plugins: [
			inspector.plugin,
			{
				name: 'read-only-config',
				hooks: {
					'server:update': ({ data }, { client }) => {
						if (client.id !== null && 'config' in (data.value as object)) throw new Error('config is read-only');
					},
				},
			},
		],
	});
	server.listen();
	cleanups.push(async () => {
		await server.close();
		await new Promise((resolve) => http.close(resolve));
	});
	await server.update({ value: { config: { value: { mode: { value: 'safe' } } } } });
	const page = await openInspector(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
	await row(page, 'config/mode').locator('button.edit').click();
	await row(page, 'config/mode').locator('input[name=value]').fill('"unsafe"');
	await row(page, 'config/mode').locator('input[name=value]').press('Enter');
	await expect.poll(() => page.locator('#messages .error').first().textContent()).toBe('config/mode: VETOED: config is read-only');
	expect(await row(page, 'config/mode').getAttribute('data-error')).toBe('VETOED: config is read-only');
	expect(server.get('config/mode')).toEqual({ value: 'safe' });
});

test('with a token, only a page logged in with it is the inspector, on loopback too; beyond loopback without one it is off', async () => {
	const open = await serve(['--memory', '--host', '0.0.0.0', '--insecure-no-auth']);
	await waitFor(() => open.output().includes('Inspector off: listening on 0.0.0.0 without a token'), 'the inspector line');
	const response = await fetch(`http://127.0.0.1:${open.port}/`);
	expect(response.status).toBe(426);

	const guarded = await serve(['--memory'], { SOCKETDB_TOKEN: 's3cret-token-for-tests' });
	const base = `http://127.0.0.1:${guarded.port}/`;
	// Without the token: the login form; a client with the token but without a login gets no stats.
	const page = await browser.newPage();
	cleanups.push(() => page.close());
	await page.goto(base);
	expect(await page.locator('input[name=token]').count()).toBe(1);
	const errors: string[] = [];
	const claimant = SocketDBClient({ plugins: [{ name: 'errors', hooks: { 'client:error': ({ code }) => void errors.push(code) } }] });
	claimant.connect(`ws://127.0.0.1:${guarded.port}/?inspector&token=s3cret-token-for-tests`);
	cleanups.push(() => claimant.disconnect());
	const stats: unknown[] = [];
	claimant.subscribeStats((value) => void stats.push(value));
	await waitFor(() => errors.includes('FORBIDDEN'), 'the refusal');
	expect(stats).toEqual([]);
	// A wrong token stays out; the right one opens the inspector, whose stats arrive.
	await page.locator('input[name=token]').fill('wrong');
	await page.locator('button[type=submit]').click();
	expect(await page.locator('input[name=token]').count()).toBe(1);
	await page.locator('input[name=token]').fill('s3cret-token-for-tests');
	await page.locator('button[type=submit]').click();
	await page.waitForSelector('#status[data-state=connected]');
	await expect.poll(() => page.locator('#connections .total').textContent()).toBe('2 connected');
});

test('on loopback, a page of another site can neither connect nor pass for the inspector', async () => {
	const server = await serve();
	const httpUrl = server.url.replace('ws://', 'http://') + '/';
	// The inspector page itself gets stats.
	const page = await openInspector(httpUrl);
	await expect.poll(() => page.locator('#connections .total').textContent()).toBe('1 connected');
	const other = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
	await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
	cleanups.push(() => new Promise((resolve) => other.close(resolve)));
	const evil = await browser.newPage();
	cleanups.push(() => evil.close());
	await evil.goto(`http://localhost:${(other.address() as AddressInfo).port}/`);
	// It opens a socket to read and write the data, with the inspector's marker: refused at the upgrade.
	const outcome = await evil.evaluate(
		(url) =>
			new Promise<string>((resolve) => {
				const ws = new WebSocket(`${url}/?inspector`);
				ws.onopen = () => resolve('open');
				ws.onclose = () => resolve('closed');
			}),
		server.url,
	);
	expect(outcome).toBe('closed');
	// The inspector page still counts only itself.
	await expect.poll(() => page.locator('#connections .total').textContent()).toBe('1 connected');
});
