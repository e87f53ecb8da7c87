import { createStore, MessageType, nodeify, openSliceReader, PROTOCOL_VERSION, unwrap, type ClientMessage, type Node, type NodeDiff, type ServerMessage, type Store } from '@socketdb/core';
import { SocketDBServer, type Limits } from '@socketdb/server';
import { afterEach, expect, test } from 'vitest';
import { waitFor } from './helpers/server';
import { stalledTransport } from './helpers/stalled-transport';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
	for (const server of servers.splice(0)) await server.close();
});

function start(limits: Partial<Limits>) {
	const transport = stalledTransport();
	const server = SocketDBServer({ socketServer: transport.server, updateInterval: 0, keepAliveInterval: 0, limits, onError: () => undefined });
	server.listen();
	servers.push(server);
	const hello = (session: string): ClientMessage => ({ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session, acked: 0, info: {} });
	return { server, transport, hello };
}

/** `count` users of 30 fields: about 400 bytes each once encoded. */
function users(count: number) {
	const tree: Record<string, Record<string, string>> = {};
	for (let u = 0; u < count; u++) {
		tree[`u${u}`] = {};
		for (let f = 0; f < 30; f++) tree[`u${u}`]![`f${f}`] = `${u}-${f}`;
	}
	return tree;
}

const count = (messages: ServerMessage[], type: ServerMessage['type']) => messages.filter((message) => message.type === type).length;

/** Reads everything the server sent, now and every few milliseconds, until `done`. */
async function readUntil(connection: { state: { buffered: number } }, done: () => boolean): Promise<void> {
	const reader = setInterval(() => (connection.state.buffered = 0), 3);
	try {
		await waitFor(done, 'the stream to end', 10_000);
	} finally {
		clearInterval(reader);
	}
}

/** The value a client assembles from the messages of one subscription. */
function assembled(messages: ServerMessage[]): unknown {
	const merged: Node = { value: {} };
	for (const message of messages) {
		if (message.type === MessageType.SNAPSHOT || message.type === MessageType.SNAPSHOT_PART) mergeInto(merged, message.node!);
	}
	return unwrap(merged);
}

function mergeInto(target: Node, slice: NodeDiff): void {
	const value = slice.value as Record<string, NodeDiff> | unknown;
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		target.value = value;
		return;
	}
	for (const [key, child] of Object.entries(value as Record<string, NodeDiff>)) {
		const children = target.value as Record<string, Node>;
		mergeInto((children[key] ??= { value: {} }), child);
	}
}

test('the next slice waits until the socket drained, so what waits to be sent stays bounded; other updates keep flowing', async () => {
	// The stream waits while a quarter of slowConsumerBytes is buffered.
	const { server, transport, hello } = start({ slowConsumerBytes: 400_000, slowConsumerCloseMs: 10_000 });
	await server.update(nodeify({ users: users(1000), clock: 0 }));
	const client = transport.connect();
	client.say(hello('reader'), { type: MessageType.SUBSCRIBE, path: 'clock' }, { type: MessageType.SUBSCRIBE, path: 'users' });
	// Another client that reads gets the whole stream meanwhile: this one's had time to run on, were it not waiting.
	const reading = transport.connect();
	reading.say(hello('marker'), { type: MessageType.SUBSCRIBE, path: 'users' });
	await readUntil(reading, () => count(reading.messages(), MessageType.SNAPSHOT_END) === 1);
	expect(client.state.sentBytes).toBeGreaterThan(100_000);
	expect(client.state.sentBytes).toBeLessThan(100_000 + 50_000);
	expect(count(client.messages(), MessageType.SNAPSHOT_END)).toBe(0);

	// Not a slow consumer: its other subscriptions still get their updates.
	await server.update(nodeify({ clock: 1 }));
	await waitFor(() => client.messages().some((message) => message.type === MessageType.DATA), 'an update while the stream waits');

	await readUntil(client, () => count(client.messages(), MessageType.SNAPSHOT_END) === 1);
	expect(count(client.messages(), MessageType.SNAPSHOT_PART)).toBeGreaterThan(10);
	expect(assembled(client.messages().filter((message) => message.type !== MessageType.DATA && !('path' in message && message.path === 'clock')))).toEqual(users(1000));
	expect(client.state.closed).toBe(false);
});

test('a client that reads nothing while a stream waits for it is told goodbye slow-consumer', async () => {
	const { server, transport, hello } = start({ slowConsumerBytes: 40_000, slowConsumerCloseMs: 200 });
	await server.update(nodeify({ users: users(1000) }));
	const client = transport.connect();
	client.say(hello('stuck'), { type: MessageType.SUBSCRIBE, path: 'users' });
	await waitFor(() => client.state.closed, 'the goodbye', 3_000);
	expect(client.messages().at(-1)).toMatchObject({ type: MessageType.GOODBYE, goodbye: { reason: 'slow-consumer' } });
	expect(client.state.sentBytes).toBeLessThan(40_000);
});

test('a stream ends with its connection: nothing more is read', async () => {
	const inner = createStore();
	/** Slices read, per stream. */
	const reads: number[] = [];
	const store: Store = {
		get: (path) => inner.get(path),
		put: (diff) => inner.put(diff),
		del: (path) => inner.del(path),
		readSlices(path) {
			const reader = openSliceReader(inner, path);
			const stream = reads.push(0) - 1;
			return { next: (budget) => (reads[stream]!++, reader.next(budget)) };
		},
	};
	const transport = stalledTransport();
	const server = SocketDBServer({ socketServer: transport.server, store, updateInterval: 0, keepAliveInterval: 0, onError: () => undefined });
	server.listen();
	servers.push(server);
	await server.update(nodeify({ users: users(1000) }));
	const client = transport.connect();
	const reading = setInterval(() => (client.state.buffered = 0), 1);
	client.say({ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session: 'leaving', acked: 0, info: {} }, { type: MessageType.SUBSCRIBE, path: 'users' });
	await waitFor(() => (reads[0] ?? 0) >= 2, 'the stream to start');
	client.close();
	const readBefore = reads[0];
	// Another client's stream of the same value runs to its end meanwhile: the first had time to read on, were it not ended.
	const marker = transport.connect();
	marker.say({ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session: 'marker', acked: 0, info: {} }, { type: MessageType.SUBSCRIBE, path: 'users' });
	await readUntil(marker, () => count(marker.messages(), MessageType.SNAPSHOT_END) === 1);
	clearInterval(reading);
	expect(reads[0]).toBe(readBefore);
	expect(reads[1]).toBeGreaterThan(2);
	expect(count(client.messages(), MessageType.SNAPSHOT_END)).toBe(0);
});

test('a slow consumer that caught up gets a large value it missed as a stream', async () => {
	const { server, transport, hello } = start({ slowConsumerBytes: 40_000, slowConsumerCloseMs: 10_000 });
	await server.update(nodeify({ users: users(300) }));
	const client = transport.connect();
	client.say(hello('slow'), { type: MessageType.SUBSCRIBE, path: 'users' });
	await readUntil(client, () => count(client.messages(), MessageType.SNAPSHOT_END) === 1);
	client.state.buffered = 0;

	// It stops reading; updates pile up until it counts as a slow consumer and they stop.
	for (let i = 0; i < 100; i++) {
		void server.update(nodeify({ users: { [`u${i}`]: { f0: `changed ${i}`, extra: 'x'.repeat(500) } } }));
		await new Promise((resolve) => setImmediate(resolve));
	}
	const before = client.messages().length;
	await readUntil(client, () => count(client.messages().slice(before), MessageType.SNAPSHOT_END) === 1);
	const resent = client.messages().slice(before);
	expect(resent[0]).toMatchObject({ type: MessageType.SNAPSHOT, path: 'users', more: true });
	expect(assembled(resent)).toEqual(unwrap(server.get('users')));
});
