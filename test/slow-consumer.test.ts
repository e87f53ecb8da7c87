import { MessageType, PROTOCOL_VERSION, unwrap, type ClientMessage } from '@socketdb/core';
import { SocketDBServer } from '@socketdb/server';
import { afterEach, expect, test } from 'vitest';
import { waitFor } from './helpers/server';
import { stalledTransport } from './helpers/stalled-transport';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
	for (const server of servers.splice(0)) await server.close();
});

function start(limits: { slowConsumerBytes: number; slowConsumerCloseMs: number }) {
	const transport = stalledTransport();
	const server = SocketDBServer({ socketServer: transport.server, updateInterval: 0, keepAliveInterval: 0, limits, onError: () => undefined });
	server.listen();
	servers.push(server);
	const hello = (session: string): ClientMessage => ({ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session, acked: 0, info: {} });
	return { server, transport, hello };
}

const payload = (i: number) => `${i}:${'x'.repeat(1000)}`;

test('a client that never reads keeps what the server buffers for it bounded, and is closed with slow-consumer', async () => {
	const { server, transport, hello } = start({ slowConsumerBytes: 20_000, slowConsumerCloseMs: 300 });
	const stalled = transport.connect();
	stalled.say(hello('stalled'), { type: MessageType.SUBSCRIBE, path: 'feed' });
	for (let i = 0; i < 500; i++) {
		void server.update({ value: { feed: { value: { n: { value: i }, payload: { value: payload(i) } } } } });
		await new Promise((resolve) => setImmediate(resolve));
	}
	// 500 updates of about 1 KB were written; the server stopped queueing them after the limit.
	expect(stalled.state.sentBytes).toBeLessThan(20_000 + 2_000);
	await waitFor(() => stalled.state.closed, 'the slow consumer to be closed', 3_000);
	const goodbye = stalled.messages().find((message) => message.type === MessageType.GOODBYE);
	expect(goodbye).toMatchObject({ goodbye: { reason: 'slow-consumer' } });
});

test('a slow consumer that catches up gets the latest state of what it missed, and stays connected', async () => {
	const { server, transport, hello } = start({ slowConsumerBytes: 20_000, slowConsumerCloseMs: 5_000 });
	const slow = transport.connect();
	slow.say(hello('slow'), { type: MessageType.SUBSCRIBE, path: 'feed' }, { type: MessageType.SUBSCRIBE_KEYS, path: 'list' });
	// Falls behind with it, and catches up first: its catch-up shows that the server's check of congested connections ran meanwhile.
	const marker = transport.connect();
	marker.say(hello('marker'), { type: MessageType.SUBSCRIBE, path: 'feed' });
	for (let i = 0; i < 100; i++) {
		void server.update({ value: { feed: { value: { n: { value: i }, payload: { value: payload(i) } } }, list: { value: { [`k${i}`]: { value: i } } } } });
		await new Promise((resolve) => setImmediate(resolve));
	}
	await server.delete('list/k0');
	const sentWhileBehind = slow.messages().length;
	marker.state.buffered = 0;
	await waitFor(() => marker.messages().some((message) => message.type === MessageType.SNAPSHOT && message.node !== null && (unwrap(message.node as never) as { n?: number }).n === 99), 'the marker to catch up');
	expect(slow.messages()).toHaveLength(sentWhileBehind);
	slow.state.buffered = 0;
	await waitFor(() => slow.messages().some((message) => message.type === MessageType.SNAPSHOT && message.node !== null && (unwrap(message.node as never) as { n?: number }).n === 99), 'the latest state');
	const keys = slow.messages().filter((message) => message.type === MessageType.KEYS_SNAPSHOT).at(-1);
	expect(keys).toMatchObject({ path: 'list' });
	expect((keys as { keys: string[] }).keys).toHaveLength(99);
	expect((keys as { keys: string[] }).keys).not.toContain('k0');
	expect(slow.state.closed).toBe(false);

	// Caught up, it receives ordinary updates again.
	await server.update({ value: { feed: { value: { n: { value: 100 } } } } });
	await waitFor(() => slow.messages().at(-1)?.type === MessageType.DATA, 'a normal update');
});

test('other clients are not held back by a slow one', async () => {
	const { server, transport, hello } = start({ slowConsumerBytes: 5_000, slowConsumerCloseMs: 10_000 });
	const stalled = transport.connect();
	const healthy = transport.connect();
	stalled.say(hello('stalled'), { type: MessageType.SUBSCRIBE, path: 'feed' });
	healthy.say(hello('healthy'), { type: MessageType.SUBSCRIBE, path: 'feed' });
	for (let i = 0; i < 50; i++) {
		void server.update({ value: { feed: { value: { n: { value: i }, payload: { value: payload(i) } } } } });
		await new Promise((resolve) => setImmediate(resolve));
		healthy.state.buffered = 0;
	}
	// Every update reached it (a busy server may send two in one DATA message).
	const delivered = healthy.messages().flatMap((message) => (message.type === MessageType.DATA ? message.ops : []));
	expect(delivered).toHaveLength(50);
	expect(stalled.messages().filter((message) => message.type === MessageType.DATA).length).toBeLessThan(10);
});

test('over a real socket: a client that stops reading is closed with slow-consumer once the kernel buffers are full, and the server goes on', async () => {
	const { startServer, cleanup, connectClient } = await import('./helpers/server');
	const { handshake, closeRawSockets } = await import('./helpers/raw');
	try {
		const { url, server } = await startServer({ limits: { slowConsumerBytes: 64 * 1024, slowConsumerCloseMs: 500 } });
		const raw = await handshake(url);
		raw.send({ type: MessageType.SUBSCRIBE, path: 'feed' });
		await raw.next(MessageType.SNAPSHOT, 0);
		const socket = (raw.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
		socket.pause();
		// Far more than the kernel's socket buffers hold (each write a path of its own, so none merge):
		// the server's own buffer must fill, and stop growing.
		const big = 'y'.repeat(10_000);
		for (let i = 0; i < 3_000 && server.getClients().length > 0; i++) {
			void server.update({ value: { feed: { value: { [i]: { value: big } } } } });
			if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
		}
		await waitFor(() => server.getClients().length === 0, 'the slow consumer to be closed', 5_000);
		socket.resume();
		await waitFor(() => raw.closed() !== undefined, 'the close to reach the client', 5_000);
		expect(raw.messages.find((message) => message.type === MessageType.GOODBYE)).toMatchObject({ goodbye: { reason: 'slow-consumer' } });
		// Others are served as before.
		const db = connectClient(url);
		await db.get('after').set(1);
		expect(server.get('after')).toEqual({ value: 1 });
	} finally {
		closeRawSockets();
		await cleanup();
	}
}, 20_000);
