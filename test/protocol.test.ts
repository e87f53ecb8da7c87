import { pack } from 'msgpackr';
import { afterEach, expect, test } from 'vitest';
import { createStore, encodeFrame, MessageType, nodeify, PROTOCOL_VERSION, unwrap, type ClientMessage, type NodeDiff, type Store } from '@socketdb/core';
import { closeRawSockets, handshake, hello, openRaw, pong, sessionHello, type Raw } from './helpers/raw';
import { cleanup, connectClient, record, startServer, waitFor, type TestServer } from './helpers/server';

afterEach(async () => {
	closeRawSockets();
	await cleanup();
});

/** A server holding some data, and a normal client proving it still serves. */
async function seededServer(): Promise<TestServer & { initial: unknown }> {
	const testServer = await startServer();
	await testServer.server.update(nodeify({ users: { 1: { name: 'Ada' } }, a: { b: 1 } }));
	return { ...testServer, initial: JSON.parse(JSON.stringify(testServer.server.get(''))) };
}

async function expectStillServing(testServer: TestServer & { initial: unknown }): Promise<void> {
	expect(JSON.parse(JSON.stringify(testServer.server.get('')))).toEqual(testServer.initial);
	const writer = connectClient(testServer.url);
	const reader = connectClient(testServer.url);
	const seen = record(reader.get('users').get('1'));
	await waitFor(() => seen.values.length === 1, 'the current value');
	expect(seen.last()).toEqual({ name: 'Ada' });
	await writer.get('users').get('1').get('name').set('Grace');
	await waitFor(() => seen.values.length === 2, 'the new value');
	expect(seen.last()).toEqual({ name: 'Grace' });
}

function expectPrototypeUntouched(): void {
	expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS);
	const probe = {} as Record<string, unknown>;
	for (const key of ['x', 'value', 'polluted', 'meta']) expect(probe[key], key).toBe(undefined);
}
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

test('a client that speaks PROTOCOL_VERSION gets WELCOME with its id and the database id', async () => {
	const { server, url } = await startServer();
	const raw = await openRaw(url);
	raw.send(hello());
	const welcome = await raw.next(MessageType.WELCOME, 0);
	expect(welcome).toEqual({ type: MessageType.WELCOME, protocol: PROTOCOL_VERSION, id: expect.any(String), maxFrameBytes: 16 * 1024 * 1024, db: expect.any(String) });
	await waitFor(() => server.getClients().length === 1, 'the client to be listed');
	expect(server.getClients()[0]!.id).toBe(welcome.id);
});

test("WELCOME lets the client combine waiting writes only where nothing can tell: with an interval, and no 'server:update' or 'server:delete' hook", async () => {
	const combineOf = async (options: Parameters<typeof startServer>[0]) => {
		const { url } = await startServer(options);
		return (await handshake(url)).messages.find((message) => message.type === MessageType.WELCOME)!.combine;
	};
	expect(await combineOf({ updateInterval: 50 })).toBe(true);
	expect(await combineOf({ updateInterval: 50, plugins: [{ name: 'watch', hooks: { 'server:change': () => undefined } }] })).toBe(true);
	expect(await combineOf({ updateInterval: 0 })).toBeUndefined();
	expect(await combineOf({ updateInterval: 50, plugins: [{ name: 'u', hooks: { 'server:update': () => undefined } }] })).toBeUndefined();
	expect(await combineOf({ updateInterval: 50, plugins: [{ name: 'd', hooks: { 'server:delete': () => undefined } }] })).toBeUndefined();
});

test('HELLO with an unsupported protocol version gets GOODBYE unsupported-protocol with a clear message, then the socket closes', async () => {
	const { server, url } = await startServer();
	const raw = await openRaw(url);
	raw.send(hello(PROTOCOL_VERSION + 98));
	const goodbye = await raw.next(MessageType.GOODBYE, 0);
	expect(goodbye.goodbye).toMatchObject({ reason: 'unsupported-protocol' });
	const message = (goodbye.goodbye as { message?: string }).message ?? '';
	expect(message).toContain(String(PROTOCOL_VERSION));
	expect(message).toContain(String(PROTOCOL_VERSION + 98));
	await waitFor(() => raw.closed() !== undefined, 'the socket to close');
	expect(raw.messages.some((each) => each.type === MessageType.WELCOME)).toBe(false);
	expect(server.getClients()).toEqual([]);
});

test("a first message that is not HELLO gets goodbye 'protocol-error', then the socket closes", async () => {
	const { server, url } = await startServer();
	const raw = await openRaw(url);
	raw.send({ type: MessageType.SET, seq: 1, path: 'x', node: { value: 1 } });
	const goodbye = await raw.next(MessageType.GOODBYE, 0);
	expect(goodbye.goodbye).toMatchObject({ reason: 'protocol-error', message: expect.any(String) });
	await waitFor(() => raw.closed() !== undefined, 'the socket to close');
	expect(server.get('x').value).toBe(null);
	expect(raw.messages.some((each) => each.type === MessageType.WELCOME)).toBe(false);
});

test("messages after a first one that is not HELLO, in the same frame, are not read: the socket closes with the reason 'protocol-error'", async () => {
	const { server, url } = await startServer();
	const raw = await openRaw(url);
	raw.send({ type: MessageType.SET, seq: 1, path: 'x', node: { value: 1 } }, hello(), { type: MessageType.SET, seq: 2, path: 'y', node: { value: 1 } });
	expect((await raw.next(MessageType.GOODBYE, 0)).goodbye).toEqual({ reason: 'protocol-error', message: 'the first message must be hello' });
	await waitFor(() => raw.closed() !== undefined, 'the socket to close');
	expect(raw.closed()).toEqual({ code: 1000, reason: 'protocol-error' });
	expect(raw.messages.map((message) => message.type)).toEqual([MessageType.GOODBYE]);
	expect(server.get('y').value).toBe(null);
});

/**
 * A store that says an earlier run of the server left it (it names a database): the server then
 * records that it runs on it, durably, before it welcomes anyone. The first flush, that record,
 * settles when the test says.
 */
function storeOfAnEarlierRun() {
	let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
	let flushes = 0;
	const store: Store = {
		...createStore(),
		position: () => ({ revision: 3, database: 'an-earlier-run' }),
		setPosition: () => undefined,
		flush: () => (++flushes === 1 ? new Promise<void>((resolve, reject) => (settle = { resolve, reject })) : Promise.resolve()),
	};
	return { store, settle: () => settle! };
}

test('a hello that arrives while the server records that it runs on its store is welcomed once that record is durable', async () => {
	const { store, settle } = storeOfAnEarlierRun();
	const { url } = await startServer({ store });
	const raw = await openRaw(url);
	raw.send(hello());
	await pong(raw);
	expect(raw.messages).toEqual([]);
	settle().resolve();
	expect(await raw.next(MessageType.WELCOME, 0)).toMatchObject({ protocol: PROTOCOL_VERSION });
});

test('a server that cannot record that it runs on its store reports it and turns a waiting hello away with server-shutdown', async () => {
	const { store, settle } = storeOfAnEarlierRun();
	const testServer = await startServer({ store });
	const raw = await openRaw(testServer.url);
	raw.send(hello());
	await pong(raw);
	settle().reject(new Error('the disk is gone'));
	expect((await raw.next(MessageType.GOODBYE, 0)).goodbye).toEqual({ reason: 'server-shutdown' });
	expect(raw.messages.some((message) => message.type === MessageType.WELCOME)).toBe(false);
	expect(testServer.errors.map((error) => error.message)).toEqual(['the disk is gone']);
});

test('a frame of exactly maxFrameBytes is read; one byte more is refused with PAYLOAD_TOO_LARGE naming the limit', async () => {
	const { server, url } = await startServer({ limits: { maxFrameBytes: 1000 } });
	const raw = await handshake(url);
	const frameOf = (length: number, seq: number) => encodeFrame([{ type: MessageType.SET, seq, path: 'x', node: { value: 'y'.repeat(length) } }]);
	const overhead = frameOf(500, 1).byteLength - 500;
	const exact = frameOf(1000 - overhead, 1);
	expect(exact.byteLength).toBe(1000);
	raw.sendBytes(exact);
	expect(await raw.answer(1)).toMatchObject({ type: MessageType.ACK, seq: 1 });
	const from = raw.messages.length;
	raw.sendBytes(frameOf(1001 - overhead, 2));
	expect(await raw.next(MessageType.ERROR, from)).toEqual({ type: MessageType.ERROR, code: 'PAYLOAD_TOO_LARGE', message: 'frames may be at most 1000 bytes' });
	expect(server.get('x').value).toBe('y'.repeat(1000 - overhead));
});

test("a first frame that is not MessagePack gets goodbye 'protocol-error'", async () => {
	const { url } = await startServer();
	const raw = await openRaw(url);
	raw.sendBytes('hello?');
	const goodbye = await raw.next(MessageType.GOODBYE, 0);
	expect(goodbye.goodbye).toMatchObject({ reason: 'protocol-error' });
	await waitFor(() => raw.closed() !== undefined, 'the socket to close');
});

test('a text frame after the handshake gets ERROR INVALID_FRAME', async () => {
	const testServer = await seededServer();
	const raw = await handshake(testServer.url);
	const from = raw.messages.length;
	raw.sendBytes('{"type":"set","path":"x","value":1}');
	const error = await raw.next(MessageType.ERROR, from);
	expect(error).toEqual({ type: MessageType.ERROR, code: 'INVALID_FRAME', message: 'text frames are not part of the protocol; send binary MessagePack frames' });
	expect(raw.closed()).toBe(undefined);
	await expectStillServing(testServer);
});

test('random bytes and a truncated MessagePack frame get ERROR INVALID_FRAME', async () => {
	const testServer = await seededServer();
	const raw = await handshake(testServer.url);

	let from = raw.messages.length;
	// 0xde starts a map of 0xbeef entries that never come.
	raw.sendBytes(Uint8Array.from([0xde, 0xbe, 0xef, 0x93, 0x07, 0xa2, 0x11, 0xff, 0x42, 0xd9]));
	expect(await raw.next(MessageType.ERROR, from)).toMatchObject({ code: 'INVALID_FRAME' });

	from = raw.messages.length;
	const frame = encodeFrame([{ type: MessageType.SET, seq: 1, path: 'users/2', node: nodeify({ name: 'a rather long name that gets cut off' }) }]);
	raw.sendBytes(frame.subarray(0, frame.byteLength - 10));
	expect(await raw.next(MessageType.ERROR, from)).toMatchObject({ code: 'INVALID_FRAME' });

	// A frame that decodes but holds no message.
	from = raw.messages.length;
	raw.sendBytes(Uint8Array.from([0x2a]));
	expect(await raw.next(MessageType.ERROR, from)).toMatchObject({ code: 'INVALID_MESSAGE' });

	expect(raw.closed()).toBe(undefined);
	await expectStillServing(testServer);
	expectPrototypeUntouched();
});

test('an unknown message type gets ERROR INVALID_MESSAGE; the connection keeps working', async () => {
	const testServer = await seededServer();
	const raw = await handshake(testServer.url);
	const from = raw.messages.length;
	// fixarray(2) [99, "x"]
	raw.sendBytes(Uint8Array.from([0x92, 0x63, 0xa1, 0x78]));
	const error = await raw.next(MessageType.ERROR, from);
	expect(error).toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringContaining('99') });

	// A malformed SET (seq present, no node) is refused by its number.
	const before = raw.messages.length;
	raw.sendBytes(Uint8Array.from([0x93, 0x02, 0x05, 0xa1, 0x78]));
	expect(await raw.next(MessageType.REJECT, before)).toMatchObject({ seq: 5, code: 'INVALID_MESSAGE' });

	// The same connection still writes.
	const after = raw.messages.length;
	raw.send({ type: MessageType.SET, seq: 6, path: 'raw', node: { value: 'ok' } });
	expect(await raw.next(MessageType.ACK, after)).toEqual({ type: MessageType.ACK, seq: 6, rev: testServer.server.stats().revision });
	expect(testServer.server.get('raw').value).toBe('ok');
});

test('a SET with a bad path gets REJECT INVALID_PATH', async () => {
	const testServer = await seededServer();
	const raw = await handshake(testServer.url);
	const paths = ['a//b', '__proto__/x', 'users/__proto__', 'constructor/prototype', 'a/prototype/b'];
	let seq = 1;
	for (const path of paths) {
		raw.send({ type: MessageType.SET, seq, path, node: { value: { polluted: { value: true } } } });
		const answer = await raw.answer(seq);
		expect(answer, path).toMatchObject({ type: MessageType.REJECT, seq, code: 'INVALID_PATH', message: expect.any(String) });
		seq++;
	}
	const from = raw.messages.length;
	raw.send({ type: MessageType.DELETE, seq, path: '__proto__' });
	expect(await raw.next(MessageType.REJECT, from)).toMatchObject({ seq, code: 'INVALID_PATH' });

	// Subscriptions to bad paths are refused too.
	const subFrom = raw.messages.length;
	raw.send({ type: MessageType.SUBSCRIBE, path: '__proto__' });
	expect(await raw.next(MessageType.ERROR, subFrom)).toMatchObject({ code: 'INVALID_PATH' });

	expect(raw.closed()).toBe(undefined);
	expectPrototypeUntouched();
	await expectStillServing(testServer);
});

/** Sends each case as a SET to `users/1` and collects the code of each answer ('accepted' for an ACK). */
async function answersFor(raw: Raw, cases: [string, NodeDiff][]): Promise<Record<string, string>> {
	const answers: Record<string, string> = {};
	let seq = 1;
	for (const [name, node] of cases) {
		raw.send({ type: MessageType.SET, seq, path: 'users/1', node });
		const answer = await raw.answer(seq);
		answers[name] = answer.type === MessageType.REJECT ? answer.code : 'accepted';
		seq++;
	}
	return answers;
}

test('a SET whose node has reserved keys (constructor, prototype), unknown fields or non-JSON values gets REJECT INVALID_VALUE', async () => {
	const testServer = await seededServer();
	const raw = await handshake(testServer.url);
	const cases: [string, NodeDiff][] = [
		['constructor key in a value', { value: { constructor: { value: { prototype: { value: { polluted: { value: true } } } } } } }],
		['prototype key in a value', { value: { prototype: { value: 1 } } }],
		['constructor key in meta', { value: 1, meta: { constructor: { polluted: true } } }],
		['constructor key in a leaf object', { value: [{ constructor: 1 }] }],
		['unknown node field', { value: 1, polluted: true } as NodeDiff],
		['Date value (msgpack timestamp ext)', { value: new Date(0) }],
		['Date in meta', { value: 1, meta: { at: new Date(0) } }],
		['binary value', { value: new Uint8Array([1, 2, 3]) }],
	];
	expect(await answersFor(raw, cases)).toEqual(Object.fromEntries(cases.map(([name]) => [name, 'INVALID_VALUE'])));
	expect(raw.closed()).toBe(undefined);
	expectPrototypeUntouched();
	await expectStillServing(testServer);
});

test('a SET whose node has a __proto__ key gets REJECT INVALID_VALUE and leaves the tree unchanged', async () => {
	const testServer = await seededServer();
	const raw = await handshake(testServer.url);
	// JSON.parse makes "__proto__" an own key, so it is encoded into the MessagePack map.
	const cases: [string, NodeDiff][] = [
		['__proto__ key in a value', JSON.parse('{"value":{"__proto__":{"value":{"polluted":{"value":true}}}}}') as NodeDiff],
		['__proto__ key in meta', JSON.parse('{"value":1,"meta":{"__proto__":{"polluted":true}}}') as NodeDiff],
		['__proto__ key deep in a leaf array', JSON.parse('{"value":[{"__proto__":{"polluted":true}}]}') as NodeDiff],
	];
	expect(await answersFor(raw, cases)).toEqual(Object.fromEntries(cases.map(([name]) => [name, 'INVALID_VALUE'])));
	expect(raw.closed()).toBe(undefined);
	expectPrototypeUntouched();
	await expectStillServing(testServer);
});

test('a resent write number is not applied twice; a HELLO after the handshake is an error', async () => {
	const testServer = await seededServer();
	const raw = await handshake(testServer.url);
	let from = raw.messages.length;
	raw.send({ type: MessageType.SET, seq: 1, path: 'a/b', node: { value: 2 } });
	const ack = await raw.next(MessageType.ACK, from);
	const applied = testServer.server.stats().revision;
	expect(ack).toEqual({ type: MessageType.ACK, seq: 1, rev: applied });
	expect(testServer.server.get('a/b').value).toBe(2);
	testServer.server.update(nodeify({ a: { b: 3 } }));
	from = raw.messages.length;
	raw.send({ type: MessageType.SET, seq: 1, path: 'a/b', node: { value: 2 } });
	// The answer to a resend says the data holds the write as of now.
	expect(await raw.next(MessageType.ACK, from)).toEqual({ type: MessageType.ACK, seq: 1, rev: applied + 1 });
	expect(testServer.server.get('a/b').value).toBe(3);

	from = raw.messages.length;
	raw.send(hello());
	expect(await raw.next(MessageType.ERROR, from)).toMatchObject({ code: 'INVALID_MESSAGE' });
	expect(raw.closed()).toBe(undefined);
});

test('a resent write keeps its original answer, also when it was refused before any hook ran', async () => {
	const { server, url } = await startServer();
	const session = 'resend-session';
	const writes: ClientMessage[] = [
		{ type: MessageType.SET, seq: 1, path: 'bad//path', node: nodeify(1) as NodeDiff },
		{ type: MessageType.SET, seq: 2, path: 'good', node: nodeify(1) as NodeDiff },
	];
	const first = await openRaw(url);
	first.send(sessionHello(session), ...writes);
	await first.answer(2);
	first.ws.terminate();

	// The client never saw the answers (say), so it resends both on a new connection.
	const second = await openRaw(url);
	second.send(sessionHello(session), ...writes);
	expect(await second.answer(1)).toMatchObject({ type: MessageType.REJECT, code: 'INVALID_PATH' });
	expect(await second.answer(2)).toEqual({ type: MessageType.ACK, seq: 2, rev: server.stats().revision });
	expect(server.get('good')).toEqual({ value: 1 });
});

test('a hello that says writes were answered takes its session at once: a later connection of the session replaces it, before either wrote', async () => {
	const { url } = await startServer();
	const first = await openRaw(url);
	first.send(sessionHello('answered-before', 3));
	await first.next(MessageType.WELCOME, 0);
	const second = await openRaw(url);
	second.send(sessionHello('answered-before', 3));
	await second.next(MessageType.WELCOME, 0);
	expect((await first.next(MessageType.GOODBYE, 0)).goodbye).toEqual({ reason: 'replaced', message: 'this client connected again on another connection' });
	expect(second.messages.some((message) => message.type === MessageType.GOODBYE)).toBe(false);
});

test('a client back on a new connection with writes still being decided gets their answers there, even when it resends none', async () => {
	let release = () => {};
	const { server, url } = await startServer({
		plugins: [{ name: 'gate', hooks: { 'server:update': () => new Promise<void>((resolve) => (release = resolve)) } }],
	});
	const session = 'back-while-deciding';
	const first = await openRaw(url);
	first.send(sessionHello(session), { type: MessageType.SET, seq: 1, path: 'slow', node: nodeify(1) as NodeDiff });
	await first.next(MessageType.WELCOME, 0);
	await waitFor(() => server.getClients().length === 1, 'the first connection');
	first.ws.terminate();
	await waitFor(() => server.getClients().length === 0, 'the first connection to close');
	const second = await openRaw(url);
	second.send(sessionHello(session));
	await second.next(MessageType.WELCOME, 0);
	release();
	expect(await second.answer(1)).toMatchObject({ type: MessageType.ACK, seq: 1 });
	expect(server.get('slow').value).toBe(1);
});

test('a write numbered at or below the highest number received, a refused one included, is a resend: answered, not applied', async () => {
	const { server, url } = await startServer();
	const raw = await handshake(url);
	raw.send({ type: MessageType.SET, seq: 5, path: 'bad//path', node: nodeify(1) as NodeDiff }, { type: MessageType.SET, seq: 3, path: 'late', node: nodeify(1) as NodeDiff });
	expect(await raw.answer(5)).toMatchObject({ type: MessageType.REJECT, code: 'INVALID_PATH' });
	expect(await raw.answer(3)).toMatchObject({ type: MessageType.ACK });
	expect(server.get('late').value).toBe(null);
});

test('an update of deletes alone deletes; a transaction decided by a hook is acknowledged with the value it committed', async () => {
	const { server, url } = await startServer({ plugins: [{ name: 'pass', hooks: { 'server:update': async () => undefined } }] });
	await server.update(nodeify({ list: { a: 1, b: 2 }, n: 1 }));
	const raw = await handshake(url);
	raw.send({ type: MessageType.UPDATE, seq: 1, path: 'list', deleted: ['a'] }, { type: MessageType.TRANSACTION, seq: 2, path: 'n', expected: 1, node: nodeify(2) as NodeDiff });
	expect(await raw.answer(1)).toMatchObject({ type: MessageType.ACK, seq: 1 });
	expect(await raw.answer(2)).toMatchObject({ type: MessageType.ACK, seq: 2, value: 2 });
	expect(unwrap(server.get(''))).toEqual({ list: { b: 2 }, n: 2 });
});

test('a write that changes nothing still tells the writer its subscriptions are as of the answer: DATA without ops, then ACK', async () => {
	const { server, url } = await startServer();
	await server.update(nodeify({ doc: { title: 'same' } }));
	const raw = await handshake(url);
	raw.send({ type: MessageType.SUBSCRIBE, path: 'doc' });
	const snapshot = await raw.next(MessageType.SNAPSHOT, 0);
	const from = raw.messages.length;
	raw.send({ type: MessageType.SET, seq: 1, path: 'doc/title', node: nodeify('same') as NodeDiff });
	const ack = await raw.answer(1);
	expect(raw.messages.slice(from)).toEqual([{ type: MessageType.DATA, id: snapshot.id, ops: [], rev: ack.type === MessageType.ACK ? ack.rev : -1 }, ack]);
});

test('a malformed message is refused by its number (REJECT) only when it is a write with a valid number; anything else gets ERROR', async () => {
	const testServer = await seededServer();
	const raw = await handshake(testServer.url);
	const answer = async (message: unknown[]) => {
		const from = raw.messages.length;
		raw.sendBytes(pack(message));
		await waitFor(() => raw.messages.length > from, 'an answer');
		return raw.messages[from] as { type: number; seq?: number; code: string };
	};
	// Each write type, numbered: a bad body is that write's refusal.
	for (const type of [MessageType.SET, MessageType.DELETE, MessageType.UPDATE, MessageType.TRANSACTION, MessageType.ON_DISCONNECT]) {
		expect(await answer([type, 7, { not: 'a write' }, 1]), `type ${type}`).toMatchObject({ type: MessageType.REJECT, seq: 7, code: 'INVALID_MESSAGE' });
	}
	expect(await answer([MessageType.SET, 0, 5])).toMatchObject({ type: MessageType.REJECT, seq: 0, code: 'INVALID_MESSAGE' });
	// Not a write, or no usable number: nothing to refuse by number.
	for (const message of [[MessageType.SUBSCRIBE, 7, 5], [MessageType.SET, -1, 5], [MessageType.SET, 1.5, 5], [MessageType.SET, '7', 5], [MessageType.SET, 2 ** 60, 5]]) {
		const got = await answer(message);
		expect(got, JSON.stringify(message)).toMatchObject({ type: MessageType.ERROR, code: 'INVALID_MESSAGE' });
		expect(got).not.toHaveProperty('seq');
	}
	expect(raw.closed()).toBe(undefined);
	// Each refusal is reported once to onError.
	expect(testServer.errors.map((error) => (error as { code?: string }).code)).toEqual(Array(11).fill('INVALID_MESSAGE'));
	await expectStillServing(testServer);
});
