import { afterEach, expect, test } from 'vitest';
import { cleanup, connectClient, record, startServer, waitFor } from './helpers/server';

afterEach(cleanup);

test('a value set by one client reaches another', async () => {
	const { url } = await startServer();
	const a = connectClient(url);
	const b = connectClient(url);
	const seen = record(b.get('users').get('1'));
	await waitFor(() => seen.values.length === 1, 'the initial value');
	expect(seen.values[0]).toBe(null);
	await a.get('users').get('1').set({ name: 'Ada' });
	await waitFor(() => seen.values.length === 2, 'the new value');
	expect(seen.last()).toEqual({ name: 'Ada' });
});
