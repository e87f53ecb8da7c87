import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { exampleInBrowser } from '../helpers/browser';

const example = exampleInBrowser('examples/todo/server.mjs');

async function open(): Promise<Page> {
	const page = await example.newPage();
	await page.waitForSelector('#state.online');
	return page;
}

const titles = (page: Page) => page.locator('#todos .title').allTextContents();
/** The windows one window shows online, its own marked `(you)`. */
const whoIsOnline = (page: Page) => page.locator('#online .who').allTextContents();

test('the todo example keeps two windows in sync, offline writes included', async () => {
	const first = await open();
	const second = await open();

	await first.locator('input[name=title]').fill('buy milk');
	await first.locator('input[name=title]').press('Enter');
	await expect.poll(() => titles(second)).toEqual(['buy milk']);

	// Ticking a todo in one window shows it done, with who did it, in the other.
	await second.locator('#todos li input[type=checkbox]').check();
	await expect.poll(() => first.locator('#todos li.done .title').allTextContents()).toEqual(['buy milk']);
	await expect.poll(() => first.locator('#todos li .by').first().textContent()).toMatch(/^by window-/);

	// Offline, writes wait in the outbox; back online, they arrive.
	await second.locator('#network').click();
	await second.waitForSelector('#state.offline');
	await second.locator('input[name=title]').fill('written offline');
	await second.locator('input[name=title]').press('Enter');
	await expect.poll(() => second.locator('#queued').textContent()).toBe('1 write(s) waiting for the server');
	expect(await titles(first)).toEqual(['buy milk']);
	await second.locator('#network').click();
	await expect.poll(() => titles(first)).toEqual(['buy milk', 'written offline']);
	await expect.poll(() => second.locator('#queued').textContent()).toBe('');

	// A delete in one window removes the todo in the other.
	await first.locator('#todos li', { hasText: 'buy milk' }).locator('button').click();
	await expect.poll(() => titles(second)).toEqual(['written offline']);
	await first.close();
	await second.close();
});

test('the todo example shows who is online: a window that goes offline or closes leaves the list, one back online joins it again', async () => {
	const first = await open();
	const second = await open();
	await expect.poll(async () => (await whoIsOnline(first)).length).toBe(2);
	await expect.poll(async () => (await whoIsOnline(second)).length).toBe(2);
	const [me] = (await whoIsOnline(first)).filter((id) => id.endsWith('(you)'));
	const other = (await whoIsOnline(second)).find((id) => id.endsWith('(you)'))!.replace(' (you)', '');
	expect((await whoIsOnline(second)).sort()).toEqual([me!.replace(' (you)', ''), `${other} (you)`].sort());

	await second.locator('#network').click();
	await second.waitForSelector('#state.offline');
	await expect.poll(() => whoIsOnline(first)).toEqual([me]);
	await second.locator('#network').click();
	await expect.poll(async () => (await whoIsOnline(first)).sort()).toEqual([me!, other].sort());

	// Closing the window drops its connection: the server applies its onDisconnect delete.
	await second.close();
	await expect.poll(() => whoIsOnline(first)).toEqual([me]);
	await first.close();
});
