import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { exampleInBrowser } from '../helpers/browser';

// `npm run example:react` as a user runs it (after the build `npm test` makes first): its server,
// which bundles the page from the built packages, and two Chromium windows.

const example = exampleInBrowser('examples/todo-react/server.mjs');

async function open(): Promise<Page> {
	const page = await example.newPage();
	const errors: string[] = [];
	page.on('pageerror', (error) => void errors.push(error.message));
	await page.waitForSelector('.state.connected');
	expect(errors).toEqual([]);
	return page;
}

const titles = (page: Page) => page.locator('#todos .title').allTextContents();
const whoIsOnline = (page: Page) => page.locator('.who').allTextContents();

test('the React todo example keeps two windows in sync, shows who is online, and keeps offline writes', async () => {
	const a = await open();
	const b = await open();
	await expect.poll(async () => (await whoIsOnline(a)).length).toBe(2);
	expect((await whoIsOnline(a)).filter((who) => who.endsWith('(you)'))).toHaveLength(1);

	await a.fill('input[name=title]', 'milk');
	await a.press('input[name=title]', 'Enter');
	await expect.poll(() => titles(b)).toEqual(['milk']);
	await b.locator('#todos li input[type=checkbox]').check();
	await expect.poll(() => a.locator('#todos li.done .title').allTextContents()).toEqual(['milk']);

	// Offline: the badge says so, the other window sees it leave, and its writes wait.
	await b.click('#network');
	await expect.poll(() => b.locator('.state').textContent()).toBe('disconnected');
	await expect.poll(async () => (await whoIsOnline(a)).length).toBe(1);
	await b.fill('input[name=title]', 'bread');
	await b.press('input[name=title]', 'Enter');
	await expect.poll(() => titles(b)).toEqual(['milk', 'bread']);
	expect(await titles(a)).toEqual(['milk']);
	await b.click('#network');
	await expect.poll(() => titles(a)).toEqual(['milk', 'bread']);
	await expect.poll(async () => (await whoIsOnline(a)).length).toBe(2);

	await a.locator('#todos li', { hasText: 'milk' }).locator('button').click();
	await expect.poll(() => titles(b)).toEqual(['bread']);

	// Persistence is on: a todo added offline survives a reload of its window.
	await b.click('#network');
	await expect.poll(() => b.locator('.state').textContent()).toBe('disconnected');
	await b.fill('input[name=title]', 'eggs');
	await b.press('input[name=title]', 'Enter');
	await expect.poll(() => titles(b)).toEqual(['bread', 'eggs']);
	await new Promise((resolve) => setTimeout(resolve, 200));
	await b.reload();
	await expect.poll(() => titles(a)).toEqual(['bread', 'eggs']);
	await a.close();
	await b.close();
});
