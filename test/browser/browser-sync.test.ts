import type { SocketDBClientAPI } from '@socketdb/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBrowserRig, type BrowserRig } from '../helpers/browser';

declare global {
	interface Window {
		db: SocketDBClientAPI;
		socketdbReady: boolean;
		seen: unknown[];
	}
}

let browser: Browser;
let server: BrowserRig['server'];
let pageUrl: string;
let rig: BrowserRig | undefined;

beforeAll(async () => {
	rig = await startBrowserRig({ updateInterval: 0 });
	({ browser, server, pageUrl } = rig);
}, 60_000);

afterAll(async () => {
	await rig?.close();
});

async function openPage(): Promise<Page> {
	const page = await browser.newPage();
	await page.goto(pageUrl);
	await page.waitForFunction(() => window.socketdbReady === true);
	return page;
}

test('two pages stay in sync through a real server', async () => {
	const writer = await openPage();
	const reader = await openPage();
	await reader.evaluate(() => {
		window.seen = [];
		window.db.get('board').get('note').on((value: unknown) => window.seen.push(value));
	});
	await reader.waitForFunction(() => window.seen.length === 1);
	expect(await reader.evaluate(() => window.seen[0])).toBe(null);

	await writer.evaluate(() => window.db.get('board').get('note').set({ text: 'hello from page one' }));
	await reader.waitForFunction(() => window.seen.length === 2);
	expect(await reader.evaluate(() => window.seen[1])).toEqual({ text: 'hello from page one' });

	await reader.evaluate(() => window.db.get('board').get('note').get('text').set('and back'));
	await reader.waitForFunction(() => window.seen.length === 3);
	expect(server.get('board/note/text')).toEqual({ value: 'and back' });
	await writer.close();
	await reader.close();
});

test('a page’s subscriber sees its own write at once, before the server answers', async () => {
	const page = await openPage();
	await page.evaluate(async () => {
		window.seen = [];
		window.db.get('optimistic').on((value: unknown) => window.seen.push(value));
	});
	await page.waitForFunction(() => window.seen.length === 1);
	// The server holds the write until the page has looked.
	let release!: () => void;
	const held = new Promise<void>((resolve) => (release = resolve));
	const unregister = server.intercept('server:update', async ({ data }) => {
		if ((data.value as Record<string, unknown>)['optimistic'] !== undefined) await held;
	});
	const before = await page.evaluate(async () => {
		void window.db.get('optimistic').set({ text: 'mine' });
		await new Promise<void>((resolve) => queueMicrotask(resolve));
		return [...window.seen];
	});
	expect(before).toEqual([null, { text: 'mine' }]);
	expect(server.get('optimistic').value).toBe(null);
	release();
	unregister();
	await expect.poll(() => server.get('optimistic/text').value).toBe('mine');
	await page.close();
});

test('in the browser, writes are awaitable and snapshots are frozen', async () => {
	const page = await openPage();
	const result = await page.evaluate(async () => {
		await window.db.get('frozen').set({ list: [1, 2], nested: { a: 1 } });
		const snapshot = await new Promise<{ list: number[]; nested: { a: number } }>((resolve) => window.db.get('frozen').once(resolve));
		return { frozen: Object.isFrozen(snapshot) && Object.isFrozen(snapshot.list) && Object.isFrozen(snapshot.nested), value: snapshot };
	});
	expect(result).toEqual({ frozen: true, value: { list: [1, 2], nested: { a: 1 } } });

	server.intercept('server:update', ({ data }) => {
		if ((data.value as Record<string, unknown>)['refused'] !== undefined) throw new Error('not in this test');
	});
	const rejection = await page.evaluate(async () =>
		window.db
			.get('refused')
			.set(1)
			.then(
				() => 'applied',
				(error: { code: string; message: string }) => `${error.code}: ${error.message}`,
			),
	);
	expect(rejection).toBe('VETOED: not in this test');
	await page.close();
});

test('the browser bundle runs without a global WebSocket polyfill and uses the page host by default', async () => {
	const page = await openPage();
	const connected = await page.evaluate(() => new Promise<boolean>((resolve) => window.db.get('ping').once(() => resolve(true))));
	expect(connected).toBe(true);
	await page.close();
});
