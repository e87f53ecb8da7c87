import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SocketDBClient, type SocketDBClientAPI } from '@socketdb/client';
import { createInspector } from '@socketdb/cli';
import { createWebsocketServer, SocketDBServer, type ServerPlugin } from '@socketdb/server';
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
	// The page's script as `npm run build` makes it, so the tests never run a stale one.
	execFileSync(process.execPath, ['scripts/build.mjs', '--quiet', '--browser-only'], { stdio: 'inherit' });
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

/**
 * A SocketDB server in this process with the inspector on its HTTP port, plus `plugins`. `writes`
 * lists every write a client sent that reached the server's hooks (the data anchored at the root,
 * or `delete <path>`), so a test can tell that the page sent nothing.
 */
async function inspectedServer(plugins: ServerPlugin[] = []) {
	const inspector = createInspector();
	const http: Server = createServer((req, res) => {
		if (!inspector.handle(req, res)) res.writeHead(404).end();
	});
	await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
	const writes: string[] = [];
	const counter: ServerPlugin = {
		name: 'count-writes',
		hooks: {
			'server:update': ({ data }, { client }) => void (client.id !== null && writes.push(JSON.stringify(data))),
			'server:delete': ({ path }, { client }) => void (client.id !== null && writes.push(`delete ${path}`)),
		},
	};
	const server = SocketDBServer({
		keepAliveInterval: 0,
		onError: () => undefined,
		socketServer: createWebsocketServer({ server: http, initializeSession: inspector.initializeSession }),
		plugins: [inspector.plugin, counter, ...plugins],
	});
	server.listen();
	cleanups.push(async () => {
		await server.close();
		await new Promise((resolve) => http.close(resolve));
	});
	return { server, writes, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/` };
}

/** Opens the edit form of the leaf at `path` and waits until it holds the stored value. */
async function openEdit(page: Page, path: string) {
	await row(page, path).locator('button.edit').click();
	const form = row(page, path).locator('form.edit');
	await form.locator('input[name=value]').waitFor();
	await expect.poll(() => form.locator('button[type=submit]').isEnabled()).toBe(true);
	return { form, value: form.locator('input[name=value]'), type: form.locator('select[name=type]'), problem: form.locator('.problem') };
}

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
	const other = nodeClient(server.url);
	await expect.poll(() => page.locator('#connections .total').textContent()).toBe('3 connected');

	// It lists the live queries, with the number of connections holding each.
	const leaderboard = "todos: orderByChild('done').limitToLast(3)";
	const liveQueries = () => page.locator('#connections .queries li').allTextContents();
	const stopFirst = db.get('todos').orderByChild('done').limitToLast(3).on(() => undefined);
	other.get('todos').orderByChild('done').limitToLast(3).on(() => undefined);
	await expect.poll(liveQueries).toContain(`${leaderboard}: 2`);
	// The page's own tree pages through the root's keys the same way.
	expect(await liveQueries()).toContain('(root): orderByKey().limitToFirst(201): 1');
	stopFirst();
	await expect.poll(liveQueries).toContain(`${leaderboard}: 1`);
	other.disconnect();
	await expect.poll(async () => (await liveQueries()).some((line) => line.startsWith(leaderboard))).toBe(false);
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

test('a vetoed edit shows its reason on the page, until the next write from that node succeeds', async () => {
	let readOnly = true;
	const { server, url } = await inspectedServer([
		{
			name: 'read-only-config',
			hooks: {
				'server:update': ({ data }, { client }) => {
					if (readOnly && client.id !== null && 'config' in (data.value as object)) throw new Error('config is read-only');
				},
			},
		},
	]);
	await server.update({ value: { config: { value: { mode: { value: 'safe' } } } } });
	const page = await openInspector(url);
	let edit = await openEdit(page, 'config/mode');
	await edit.value.fill('unsafe');
	await edit.value.press('Enter');
	await expect.poll(() => page.locator('#messages .error').first().textContent()).toBe('config/mode: VETOED: config is read-only');
	expect(await row(page, 'config/mode').getAttribute('data-error')).toBe('VETOED: config is read-only');
	expect(server.get('config/mode')).toEqual({ value: 'safe' });
	// A message that is not about this node's writes stays.
	await page.evaluate(() => document.getElementById('messages')!.insertAdjacentHTML('beforeend', '<li class="error">other</li>'));

	readOnly = false;
	edit = await openEdit(page, 'config/mode');
	await edit.value.fill('unsafe');
	await edit.value.press('Enter');
	await waitFor(() => server.get('config/mode')?.value === 'unsafe', 'the accepted edit');
	await expect.poll(() => row(page, 'config/mode').getAttribute('data-error')).toBeNull();
	await expect.poll(() => page.locator('#messages .error').allTextContents()).toEqual(['other']);
});

test('the edit form holds the whole value, and saving it unchanged writes nothing', async () => {
	const long = Array.from({ length: 30 }, (_, i) => `part ${String(i).padStart(3, '0')}. `).join('');
	expect(long.length).toBe(300);
	const { server, writes, url } = await inspectedServer();
	await server.update({ value: { long: { value: long }, list: { value: [1, 'two', { three: 3 }] }, other: { value: 'a' } } });
	const page = await openInspector(url);
	// The row shows the value shortened; the form gets it whole, as the string it is (no quotes).
	await expect.poll(() => row(page, 'long').locator('.value').textContent()).toMatch(/…$/);
	let edit = await openEdit(page, 'long');
	expect(await edit.value.inputValue()).toBe(long);
	expect(await edit.type.inputValue()).toBe('string');
	await edit.value.press('Enter');
	await edit.form.waitFor({ state: 'detached' });
	// An array is edited as JSON; unchanged, it is not written either.
	edit = await openEdit(page, 'list');
	expect(await edit.type.inputValue()).toBe('json');
	expect(await edit.value.inputValue()).toBe('[1,"two",{"three":3}]');
	await edit.value.fill('[1, "two", {"three": 3}]');
	await edit.value.press('Enter');
	await edit.form.waitFor({ state: 'detached' });

	// The page's writes arrive in order: once a later write is in, an earlier one would be too.
	edit = await openEdit(page, 'other');
	await edit.value.fill('b');
	await edit.value.press('Enter');
	await waitFor(() => server.get('other')?.value === 'b', 'the later edit');
	expect(writes).toEqual([JSON.stringify({ value: { other: { value: 'b' } } })]);
	expect(server.get('long')).toEqual({ value: long });
});

test('a string stays a string unless another type is picked, and a number must be one', async () => {
	const { server, writes, url } = await inspectedServer();
	await server.update({ value: { code: { value: '02134' } } });
	const page = await openInspector(url);
	let edit = await openEdit(page, 'code');
	expect(await edit.type.inputValue()).toBe('string');
	await edit.value.fill('12345');
	await edit.value.press('Enter');
	await waitFor(() => server.get('code')?.value === '12345', 'the string');
	expect(server.get('code')).toEqual({ value: '12345' });
	await expect.poll(() => row(page, 'code').locator('.value').textContent()).toBe('"12345"');

	edit = await openEdit(page, 'code');
	await edit.type.selectOption('number');
	await edit.value.press('Enter');
	await waitFor(() => server.get('code')?.value === 12345, 'the number');
	await expect.poll(() => row(page, 'code').locator('.value').textContent()).toBe('12345');

	// Not a number: a message in the form, nothing sent, and the form stays for a correction.
	edit = await openEdit(page, 'code');
	expect(await edit.type.inputValue()).toBe('number');
	for (const text of ['abc', '', 'Infinity']) {
		await edit.value.fill(text);
		await edit.value.press('Enter');
		await expect.poll(() => edit.problem.textContent()).toBe(`not a number: ${JSON.stringify(text)}`);
	}
	await edit.type.selectOption('boolean');
	await edit.value.fill('yes');
	await edit.value.press('Enter');
	await expect.poll(() => edit.problem.textContent()).toBe('a boolean is true or false, not "yes"');
	await edit.type.selectOption('json');
	await edit.value.fill('{nope');
	await edit.value.press('Enter');
	await expect.poll(() => edit.problem.textContent()).toBe('not valid JSON (for text, choose string): "{nope"');
	await edit.value.fill('[4, 5]');
	await edit.value.press('Enter');
	await waitFor(() => Array.isArray(server.get('code')?.value), 'the JSON value');
	expect(server.get('code')).toEqual({ value: [4, 5] });

	edit = await openEdit(page, 'code');
	await edit.type.selectOption('boolean');
	await edit.value.fill('true');
	await edit.value.press('Enter');
	await waitFor(() => server.get('code')?.value === true, 'the boolean');
	expect(writes.map((write) => JSON.parse(write).value.code.value)).toEqual(['12345', 12345, [4, 5], true]);
});

test('a child with an empty or invalid key is refused in the form, and nothing is written', async () => {
	const { server, writes, url } = await inspectedServer();
	await server.update({ value: { todos: { value: { milk: { value: 'x' } } } } });
	const page = await openInspector(url);
	await row(page, 'todos').locator('button.add').click();
	const form = row(page, 'todos').locator('form.add');
	const key = form.locator('input[name=key]');
	const value = form.locator('input[name=value]');
	// A new child's value is read as JSON unless another type is picked.
	expect(await form.locator('select[name=type]').inputValue()).toBe('json');
	await value.fill('"eggs"');
	for (const [text, reason] of [
		['', 'invalid key: empty key'],
		['a/b', 'invalid key: key "a/b" contains "/"'],
		['__proto__', 'invalid key: key "__proto__" is reserved'],
		['constructor', 'invalid key: key "constructor" is reserved'],
		['prototype', 'invalid key: key "prototype" is reserved'],
	]) {
		await key.fill(text!);
		await value.press('Enter');
		await expect.poll(() => form.locator('.problem').textContent()).toBe(reason);
	}
	// A lone surrogate (typed through the DOM: it would not survive the trip from the test).
	await key.evaluate((input: HTMLInputElement) => {
		input.value = `a${String.fromCharCode(0xd800)}`;
		input.form!.requestSubmit();
	});
	await expect.poll(() => form.locator('.problem').textContent()).toBe('invalid key: the key "a\\ud800" holds a lone surrogate (not well-formed UTF-16)');

	await key.fill('eggs');
	await value.press('Enter');
	await waitFor(() => server.get('todos/eggs')?.value === 'eggs', 'the added child');
	await form.waitFor({ state: 'detached' });
	expect(writes).toEqual([JSON.stringify({ value: { todos: { value: { eggs: { value: 'eggs' } } } } })]);
	expect(server.get('todos')).toEqual({ value: { milk: { value: 'x' }, eggs: { value: 'eggs' } } });
});

test('keys are shown in natural order', async () => {
	const { server, url } = await inspectedServer();
	await server.update({ value: Object.fromEntries(['item10', 'item2', 'item1', 'Item3', 'item20'].map((key) => [key, { value: key }])) });
	const page = await openInspector(url);
	await row(page, 'item20').waitFor();
	const paths = await page.locator('#tree > li > ul > li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset['path']));
	expect(paths).toEqual(['item1', 'item2', 'Item3', 'item10', 'item20']);
});

test('a large collection is paged by the server: the page receives a page of keys, never the collection', async () => {
	const { server, url } = await inspectedServer();
	const children = 100_000;
	const board: Record<string, { value: string }> = {};
	for (let i = 0; i < children; i++) board[`p${String(i).padStart(5, '0')}`] = { value: `player ${i} with a longish name` };
	await server.update({ value: { board: { value: board } } });
	const page = await browser.newPage();
	cleanups.push(() => page.close());
	let received = 0;
	page.on('websocket', (socket) => socket.on('framereceived', ({ payload }) => void (received += typeof payload === 'string' ? payload.length : payload.byteLength)));
	await page.goto(url);
	await page.waitForSelector('#status[data-state=connected]');

	await expect.poll(() => row(page, 'board').locator('.value').textContent()).toBe('{ more than 200 keys }');
	await row(page, 'board').locator('.toggle').click();
	await row(page, 'board/p00199').waitFor();
	const shown = () => page.locator('li[data-path="board"] > ul > li.node').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset['path']));
	expect(await shown()).toEqual(Array.from({ length: 200 }, (_, i) => `board/p${String(i).padStart(5, '0')}`));
	await page.locator('li[data-path="board"] > ul > li > button.more').click();
	await row(page, 'board/p00399').waitFor();
	expect(await shown()).toHaveLength(400);
	// A child that enters the shown page appears; one beyond it does not.
	await server.update({ value: { board: { value: { p00000a: { value: 'new' }, zzz: { value: 'beyond' } } } } });
	await row(page, 'board/p00000a').waitFor();
	expect(await page.locator('li[data-path="board/zzz"]').count()).toBe(0);

	// The collection's keys alone are over half a megabyte; the page got them a page at a time, with the shown values.
	const keys = Object.keys(board).join('').length;
	expect(keys).toBeGreaterThan(500_000);
	expect(received).toBeLessThan(keys / 5);
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

/** A board of `count` players under `board`, keys `p00000` on. */
async function bigBoard(server: { update: (data: never) => PromiseLike<void> }, count: number) {
	const board: Record<string, { value: string }> = {};
	for (let i = 0; i < count; i++) board[`p${String(i).padStart(5, '0')}`] = { value: `player ${i}` };
	await server.update({ value: { board: { value: board } } } as never);
}

test('search finds a key among 100,000 children and opens the tree down to it; links hold the selected path', async () => {
	const { server, url } = await inspectedServer();
	await bigBoard(server, 100_000);
	const page = await openInspector(url);
	await row(page, 'board').locator('.key').click();
	await expect.poll(() => page.url()).toMatch(/#\/board$/);
	await page.locator('#search').fill('p73512');
	const result = page.locator('#results button.result[data-path="board/p73512"]');
	await result.click();
	// Far beyond the page of 200 shown, the node is shown and selected, and the address names it.
	await expect.poll(() => row(page, 'board/p73512').getAttribute('class')).toMatch(/\bselected\b/);
	expect(await row(page, 'board/p73512').locator('.value').textContent()).toBe('"player 73512"');
	await expect.poll(() => page.url()).toMatch(/#\/board\/p73512$/);
	expect(await page.locator('#selected').textContent()).toBe('board/p73512');
	// A value among the rows on screen is found too.
	await page.locator('#search').fill('player 73512');
	await page.locator('#results button.result[data-path="board/p73512"]').waitFor();
	// Under a selected leaf, the search looks under its parent. Nothing matches: the list says so.
	await page.locator('#search').fill('p0001');
	await page.locator('#results button.result[data-path="board/p00019"]').waitFor();
	await page.locator('#search').fill('nobody');
	await expect.poll(() => page.locator('#results .summary').textContent()).toBe('nothing under board matches “nobody”');
});

test('a deep link opens its node, beyond the page shown, and highlights it; the back-and-forth of the address follows', async () => {
	const { server, url } = await inspectedServer();
	await bigBoard(server, 1_000);
	await server.update({ value: { 'odd key #1': { value: { 'a?b%': { value: 'no' }, x: { value: 1 } } } } } as never);
	const page = await browser.newPage();
	cleanups.push(() => page.close());
	await page.goto(`${url}#/board/p00777`);
	await expect.poll(() => row(page, 'board/p00777').getAttribute('class')).toMatch(/\bselected\b/);
	expect(await page.locator('li[data-path="board/p00777"]').getAttribute('class')).toMatch(/\bpinned\b/);
	expect(await row(page, 'board/p00777').evaluate((element) => element === document.activeElement)).toBe(true);
	// Another link in the same page: it follows.
	await page.evaluate(() => (location.hash = '#/odd%20key%20%231/a%3Fb%25'));
	await expect.poll(() => row(page, 'odd key #1/a?b%').getAttribute('class')).toMatch(/\bselected\b/);
	expect(await row(page, 'board/p00777').getAttribute('class')).not.toMatch(/\bselected\b/);
});

test('copy path puts the node path on the clipboard', async () => {
	const { server, url } = await inspectedServer();
	await server.update({ value: { users: { value: { 42: { value: { name: { value: 'Ada' } } } } } } });
	const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
	cleanups.push(() => context.close());
	const page = await context.newPage();
	await page.goto(url);
	await page.waitForSelector('#status[data-state=connected]');
	await row(page, 'users/42/name').hover();
	await row(page, 'users/42/name').locator('button.copy').click();
	await expect.poll(() => row(page, 'users/42/name').locator('button.copy').textContent()).toBe('copied');
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('users/42/name');
});

test('each value shows its type', async () => {
	const { server, url } = await inspectedServer();
	await server.update({ value: { s: { value: '42' }, n: { value: 42 }, b: { value: false }, z: { value: null }, a: { value: [1] }, o: { value: { k: { value: 1 } } } } });
	const page = await openInspector(url);
	await row(page, 'o/k').waitFor();
	const types = Object.fromEntries(await Promise.all(['s', 'n', 'b', 'a', 'o'].map(async (key) => [key, await row(page, key).locator('.type').textContent()])));
	expect(types).toEqual({ s: 'string', n: 'number', b: 'boolean', a: 'array', o: 'object' });
	// An edit keeps a string a string, even one that reads as a number.
	const edit = await openEdit(page, 's');
	expect(await edit.type.inputValue()).toBe('string');
	await edit.value.fill('43');
	await edit.value.press('Enter');
	await waitFor(() => server.get('s')?.value === '43', 'the edit');
	await expect.poll(() => row(page, 's').locator('.type').textContent()).toBe('string');
});

test('the keyboard moves through the tree, opens, edits and deletes', async () => {
	const { server, url } = await inspectedServer();
	await bigBoard(server, 12);
	await server.update({ value: { a: { value: 'first' } } } as never);
	const page = await openInspector(url);
	await row(page, 'a').locator('.key').click();
	const selected = () => page.locator('.row.selected').evaluate((element) => element.closest('li')!.dataset['path']);
	await page.keyboard.press('ArrowUp');
	expect(await selected()).toBe('');
	await page.keyboard.press('ArrowDown');
	await page.keyboard.press('ArrowDown');
	expect(await selected()).toBe('board');
	// The board is closed (12 keys): right opens it, right again moves in.
	await page.keyboard.press('ArrowRight');
	await row(page, 'board/p00011').waitFor();
	await page.keyboard.press('ArrowRight');
	expect(await selected()).toBe('board/p00000');
	// Enter on a leaf edits it.
	await page.keyboard.press('Enter');
	const input = row(page, 'board/p00000').locator('input[name=value]');
	await expect.poll(() => input.inputValue()).toBe('player 0');
	await input.fill('changed');
	await input.press('Enter');
	await waitFor(() => server.get('board/p00000')?.value === 'changed', 'the edit');
	// Delete asks first; declined, nothing happens; accepted, the node goes.
	await row(page, 'board/p00000').focus();
	page.once('dialog', (dialog) => void dialog.dismiss());
	await page.keyboard.press('Delete');
	await page.keyboard.press('ArrowDown');
	expect(await selected()).toBe('board/p00001');
	page.once('dialog', (dialog) => void dialog.accept());
	await page.keyboard.press('Delete');
	await waitFor(() => server.get('board/p00001')?.value === null, 'the delete');
	expect(server.get('board/p00000')).toEqual({ value: 'changed' });
	// Left goes to the parent, left again closes it.
	await row(page, 'board/p00002').locator('.key').click();
	await page.keyboard.press('ArrowLeft');
	expect(await selected()).toBe('board');
	await page.keyboard.press('ArrowLeft');
	await page.locator('li[data-path="board/p00002"]').waitFor({ state: 'detached' });
});

test('export then import of a subtree round-trips through the write path; a refused import shows its code', async () => {
	const { server, url } = await inspectedServer([
		{ name: 'no-locked', hooks: { 'server:update': ({ data }) => void (JSON.stringify(data).includes('locked') && (() => { throw new Error('locked is read-only'); })()) } },
	]);
	await server.update({ value: { team: { value: { ada: { value: { role: { value: 'lead' }, tags: { value: ['x', 'y'] } } }, bob: { value: { role: { value: 'dev' } } } } } } });
	const page = await openInspector(url);
	await row(page, 'team').locator('.key').click();
	const download = page.waitForEvent('download');
	await page.locator('#export').click();
	const file = await download;
	expect(file.suggestedFilename()).toBe('team.json');
	const exported = JSON.parse(await streamText(await file.createReadStream()));
	expect(exported).toEqual({ ada: { role: 'lead', tags: ['x', 'y'] }, bob: { role: 'dev' } });

	// Imported into another node, through the page's normal write path.
	await server.update({ value: { copy: { value: { placeholder: { value: true } } } } });
	await row(page, 'copy').locator('.key').click();
	await page.locator('#import-file').setInputFiles({ name: 'team.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(exported)) });
	await waitFor(() => JSON.stringify(server.get('copy/ada/tags')) === JSON.stringify({ value: ['x', 'y'] }), 'the import');
	expect(server.get('copy/bob/role')).toEqual({ value: 'dev' });

	// A write the hooks refuse shows with its code, and so does a file that is not JSON.
	await page.locator('#import-file').setInputFiles({ name: 'locked.json', mimeType: 'application/json', buffer: Buffer.from('{"locked": 1}') });
	await expect.poll(() => page.locator('#messages .error').first().textContent()).toBe('import into copy: VETOED: locked is read-only');
	await page.locator('#import-file').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{nope') });
	await expect.poll(() => page.locator('#messages .error').first().textContent()).toMatch(/^import into copy: INVALID_VALUE: broken\.json is not JSON/);
	expect(server.get('copy/locked')).toEqual({ value: null });
});

test('the chart has axes with numbers, the connections list shows a joining Node client with its version, and by route explains itself', async () => {
	const server = await serve();
	const page = await openInspector(server.url.replace('ws://', 'http://') + '/');
	const client = SocketDBClient({ version: '4.2.0' });
	client.connect(server.url);
	cleanups.push(() => client.disconnect());
	await client.get('x').set(1);
	const versions = () => page.locator('#connections .connection-list td:nth-child(2)').allTextContents();
	await expect.poll(versions, { timeout: 3000 }).toContain('4.2.0');
	expect(await versions()).toContain('inspector');
	const subscriptions = await page.locator('#connections .connection-list tr', { hasText: '4.2.0' }).locator('td:nth-child(5)').textContent();
	expect(subscriptions).toBe('0');
	// The axes: counts on the left, seconds on the bottom.
	const ticks = (axis: string) => page.locator(`#connections .chart text.tick.${axis}`).allTextContents();
	await expect.poll(() => ticks('y')).toEqual(['0', expect.stringMatching(/^\d+(\.\d)?$/), expect.stringMatching(/^\d+$/)]);
	expect(await ticks('x')).toEqual(['-1 min', '-30 s', 'now']);
	expect(await page.locator('#connections .routes li.none').textContent()).toMatch(/routeTracking: true/);
	// A client leaving leaves the list.
	client.disconnect();
	await expect.poll(versions, { timeout: 3000 }).not.toContain('4.2.0');
});

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
	let text = '';
	for await (const chunk of stream) text += String(chunk);
	return text;
}

test('the page follows the colour scheme: dark text on light, light text on dark', async () => {
	const { url } = await inspectedServer();
	const page = await openInspector(url);
	const colours = () => page.evaluate(() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.documentElement).color]);
	await page.emulateMedia({ colorScheme: 'light' });
	expect(await colours()).toEqual(['rgb(255, 255, 255)', 'rgb(31, 41, 55)']);
	await page.emulateMedia({ colorScheme: 'dark' });
	expect(await colours()).toEqual(['rgb(15, 23, 42)', 'rgb(229, 231, 235)']);
});
