import type { SocketDBClientAPI } from '@socketdb/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBrowserRig, type BrowserRig } from '../helpers/browser';
import { waitFor } from '../helpers/server';

declare global {
	interface Window {
		db: SocketDBClientAPI;
		socketdbReady: boolean;
		messages: unknown[];
	}
}

let browser: Browser;
let server: BrowserRig['server'];
let pageUrl: string;
let rig: BrowserRig | undefined;
const routeUpdates: { id: string; route: string }[] = [];
const connects: { id: string; version: unknown; route: unknown }[] = [];

beforeAll(async () => {
	rig = await startBrowserRig({
		routeTracking: true,
		plugins: [
			{
				name: 'routes',
				hooks: {
					'server:clientConnect': ({ id }, { client }) => void connects.push({ id, version: client.version, route: client.route }),
					'server:routeUpdate': (update) => void routeUpdates.push(update),
				},
			},
		],
	});
	({ browser, server, pageUrl } = rig);
}, 60_000);

afterAll(async () => {
	await rig?.close();
});

test('a browser client with routeTracking reports its route at connect and on every history navigation', async () => {
	const page = await browser.newPage();
	await page.goto(`${pageUrl}app/start?routeTracking&version=1.4.2`);
	await page.waitForFunction(() => window.socketdbReady === true);
	await waitFor(() => connects.length === 1, 'the connection');
	expect(connects[0]).toMatchObject({ version: '1.4.2', route: '/app/start' });
	const id = connects[0]!.id;

	await page.evaluate(() => history.pushState({}, '', '/app/settings'));
	await waitFor(() => routeUpdates.length === 1, 'the pushState navigation');
	await page.evaluate(() => history.replaceState({}, '', '/app/settings/profile'));
	await waitFor(() => routeUpdates.length === 2, 'the replaceState navigation');
	await page.evaluate(() => history.back());
	await waitFor(() => routeUpdates.length === 3, 'the back navigation');
	expect(routeUpdates).toEqual([
		{ id, route: '/app/settings' },
		{ id, route: '/app/settings/profile' },
		{ id, route: '/app/start' },
	]);
	expect(server.getClient(id)?.route).toBe('/app/start');
	expect(server.stats()).toEqual({ total: 1, versions: { '1.4.2': 1 }, routes: { '/app/start': 1 }, revision: expect.any(Number) });

	// And a message from the server reaches the page's 'client:message' hook.
	await page.evaluate(() => {
		window.messages = [];
		window.db.intercept('client:message', (data: unknown) => void window.messages.push(data));
	});
	server.getClient(id)!.send({ type: 'welcome', message: 'Hello!' });
	await page.waitForFunction(() => window.messages.length === 1);
	expect(await page.evaluate(() => window.messages)).toEqual([{ type: 'welcome', message: 'Hello!' }]);
	await page.close();
});
