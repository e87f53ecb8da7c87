import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebsocketClient, SocketDBClient } from '@socketdb/client';
import { decodeFrame, encodeFrame, MessageType, parseClientMessage, PROTOCOL_VERSION, type GoodbyeMessage } from '@socketdb/core';
import { afterEach, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { waitFor } from './helpers/server';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
	for (const close of closers.splice(0)) await close();
});

/** A fake server that answers every hello with `reply`, counting connections. */
async function fakeServer(reply: (helloProtocol: number) => Uint8Array) {
	const http = createServer();
	const wss = new WebSocketServer({ server: http });
	let connections = 0;
	wss.on('connection', (socket) => {
		connections++;
		socket.on('message', (data) => {
			const [hello] = decodeFrame(data as Buffer).map(parseClientMessage);
			if (hello?.type === MessageType.HELLO) {
				socket.send(reply(hello.protocol));
				socket.close();
			}
		});
	});
	await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
	closers.push(async () => {
		for (const client of wss.clients) client.terminate();
		await new Promise((resolve) => wss.close(resolve));
		await new Promise((resolve) => http.close(resolve));
	});
	return { url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`, connections: () => connections };
}

/**
 * Waits while a client with the same reconnect settings, told goodbye on every connection, comes
 * back `times` times: a client that were to reconnect would have done so by then, however slow
 * the machine (the marker's clock is the client's own).
 */
async function reconnectsOfAnotherClient(times: number, reconnectTimeout: number): Promise<void> {
	const server = await fakeServer(() => encodeFrame([{ type: MessageType.GOODBYE, goodbye: { reason: 'server-shutdown' } }]));
	const marker = SocketDBClient({ socketClient: createWebsocketClient({ reconnectTimeout }) });
	marker.connect(server.url);
	await waitFor(() => server.connections() > times, `${times} reconnections of another client`);
	marker.disconnect();
}

test('a server that does not speak the client protocol: the client is told, stops reconnecting and rejects its writes', async () => {
	const server = await fakeServer((protocol) =>
		encodeFrame([{ type: MessageType.GOODBYE, goodbye: { reason: 'unsupported-protocol', message: `this server speaks 99, the client speaks ${protocol}` } }]),
	);
	const goodbyes: GoodbyeMessage[] = [];
	const db = SocketDBClient({
		socketClient: createWebsocketClient({ reconnectTimeout: 50 }),
		plugins: [{ name: 'goodbye', hooks: { 'client:serverDisconnectMessage': (goodbye) => void goodbyes.push(goodbye) } }],
	});
	const write = db.get('a').set(1);
	db.connect(server.url);
	await expect(write).rejects.toMatchObject({ code: 'UNSUPPORTED_PROTOCOL', message: `this server speaks 99, the client speaks ${PROTOCOL_VERSION}` });
	expect(goodbyes).toEqual([{ reason: 'unsupported-protocol', message: `this server speaks 99, the client speaks ${PROTOCOL_VERSION}` }]);
	await reconnectsOfAnotherClient(3, 50);
	expect(server.connections()).toBe(1);
	db.disconnect();
});

test('after any other goodbye the client keeps reconnecting until disconnect()', async () => {
	const server = await fakeServer(() => encodeFrame([{ type: MessageType.GOODBYE, goodbye: { reason: 'server-shutdown' } }]));
	const db = SocketDBClient({ socketClient: createWebsocketClient({ reconnectTimeout: 40 }) });
	db.connect(server.url);
	await waitFor(() => server.connections() >= 4, 'several reconnection attempts');
	db.disconnect();
	const attempts = server.connections();
	await reconnectsOfAnotherClient(3, 40);
	expect(server.connections()).toBe(attempts);
});

test('an unreadable frame from the server is reported to client:error', async () => {
	const server = await fakeServer(() => new Uint8Array([0xc1]));
	const errors: { code: string }[] = [];
	const db = SocketDBClient({
		socketClient: createWebsocketClient({ reconnectTimeout: 5_000 }),
		plugins: [{ name: 'errors', hooks: { 'client:error': (error) => void errors.push(error) } }],
	});
	db.connect(server.url);
	await waitFor(() => errors.length > 0, 'the error');
	expect(errors[0]).toMatchObject({ code: 'INVALID_FRAME' });
	db.disconnect();
});
