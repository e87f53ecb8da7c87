import { afterEach, describe, expect, test } from 'vitest';
import { SocketDBServer, createWebsocketServer, type AllowedOrigins } from '@socketdb/server';
import { createCrosswsServer } from '@socketdb/server/crossws';
import { cleanup, connectClient, startServer } from './helpers/server';
import { tryUpgrade } from './helpers/upgrade';

afterEach(cleanup);

const APP = 'https://app.example.com';

describe.each([
	['SocketDBServer({ allowedOrigins })', (allowedOrigins: AllowedOrigins) => startServer({ allowedOrigins })],
	['the transport option allowedOrigins', (allowedOrigins: AllowedOrigins) => startServer({}, { allowedOrigins })],
])('%s', (_name, start) => {
	test('an upgrade from a page of another origin is refused with 403 before any session is made', async () => {
		const { url, server } = await start([APP]);
		let connects = 0;
		server.intercept('server:clientConnect', () => void connects++);
		for (const origin of ['https://evil.example.com', 'http://app.example.com', 'https://app.example.com:8443', 'null', 'not an origin']) {
			expect(await tryUpgrade(url, { Origin: origin }), origin).toMatchObject({ status: 403, body: expect.stringContaining('allowedOrigins') });
		}
		expect(connects).toBe(0);
	});

	test('the listed origins connect, in any spelling of the same origin', async () => {
		const { url } = await start([APP]);
		for (const origin of [APP, 'https://APP.example.com', 'https://app.example.com:443']) {
			expect(await tryUpgrade(url, { Origin: origin }), origin).toBe('accepted');
		}
	});

	test('requests without an Origin (Node clients) are not affected', async () => {
		const { url, server } = await start([APP]);
		expect(await tryUpgrade(url)).toBe('accepted');
		const db = connectClient(url);
		await db.get('from-node').set(1);
		expect(server.get('from-node').value).toBe(1);
	});

	test('a function decides', async () => {
		const { url } = await start((origin) => origin.endsWith('.example.com'));
		expect(await tryUpgrade(url, { Origin: APP })).toBe('accepted');
		expect(await tryUpgrade(url, { Origin: 'https://example.com.evil.net' })).toMatchObject({ status: 403 });
	});

	test("'*' allows every origin", async () => {
		const { url } = await start(['*']);
		expect(await tryUpgrade(url, { Origin: 'https://anywhere.example' })).toBe('accepted');
	});
});

test('by default every origin may connect, as in SocketDB', async () => {
	const { url } = await startServer();
	expect(await tryUpgrade(url, { Origin: 'https://evil.example.com' })).toBe('accepted');
});

test('the server and the transport checks both apply', async () => {
	const { url } = await startServer({ allowedOrigins: [APP, 'https://admin.example.com'] }, { allowedOrigins: [APP] });
	expect(await tryUpgrade(url, { Origin: APP })).toBe('accepted');
	expect(await tryUpgrade(url, { Origin: 'https://admin.example.com' })).toMatchObject({ status: 403 });
});

test('a list entry that is not an origin is a TypeError at once', () => {
	expect(() => SocketDBServer({ allowedOrigins: ['app.example.com'] })).toThrow(TypeError);
	expect(() => createWebsocketServer({ allowedOrigins: ['https://'] })).toThrow(/not an origin/);
	expect(() => createWebsocketServer({ allowedOrigins: ['data:text/plain,x'] })).toThrow(/no origin/);
	expect(() => createCrosswsServer({ allowedOrigins: 'https://app.example.com' as never })).toThrow(TypeError);
});

test('a transport that cannot check origins is refused rather than left open', () => {
	const socketServer = { onConnection: () => undefined, listen: () => undefined };
	expect(() => SocketDBServer({ socketServer, allowedOrigins: [APP] })).toThrow(/cannot check origins/);
});
