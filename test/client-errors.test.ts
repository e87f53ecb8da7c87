import { afterEach, expect, test, vi } from 'vitest';
import { cleanup, connectClient, startServer, waitFor } from './helpers/server';

afterEach(async () => {
	vi.restoreAllMocks();
	await cleanup();
});

test('without a client:error hook, refused writes nobody awaits are logged once, then counted', async () => {
	const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
	const { url, server } = await startServer();
	server.intercept('server:update', () => {
		throw new Error('read-only');
	});
	const db = connectClient(url);
	for (let i = 0; i < 50; i++) db.get('x').set(i);
	await waitFor(() => warn.mock.calls.length === 1, 'the first report');
	expect(warn.mock.calls[0]![0]).toBe('[socketdb] VETOED: read-only');
	await waitFor(() => warn.mock.calls.length === 2, 'the summary', 3_000);
	expect(warn.mock.calls[1]![0]).toBe('[socketdb] VETOED: 49 more in the last second');
});
