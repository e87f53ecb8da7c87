import { pack } from 'msgpackr';
import { afterEach, describe, expect, test } from 'vitest';
import { increment, serverTimestamp } from '@socketdb/client';
import { MessageType, nodeify, PROTOCOL_VERSION, SocketDBError, unwrap, type Node } from '@socketdb/core';
import type { ServerPlugin } from '@socketdb/server';
import { closeRawSockets, handshake, openRaw } from './helpers/raw';
import { barrier, cleanup, connectClient, record, startServer, waitFor } from './helpers/server';
import { closeTcpProxies, startTcpProxy } from './helpers/tcp-proxy';

afterEach(async () => {
	closeRawSockets();
	await cleanup();
	await closeTcpProxies();
});

const valueAt = (server: { get: (path: string) => Node }, path: string) => unwrap(server.get(path));

/** A client whose `onDisconnect().set('offline')` at `status/ada` is registered, next to `online` there. */
async function presence(url: string) {
	const db = connectClient(url);
	const status = db.get('status').get('ada');
	await status.set('online');
	await status.onDisconnect().set('offline');
	return { db, status };
}

/** A client through a TCP proxy whose `reset()` drops the connection as a network failure would. */
async function throughProxy(port: number) {
	const proxy = await startTcpProxy(() => [port]);
	return { proxy, url: `ws://127.0.0.1:${proxy.port}` };
}

describe('when the writes fire', () => {
	test('db.disconnect(): the kept write is applied, and subscribers of other clients see it', async () => {
		const { server, url } = await startServer();
		const watcher = record(connectClient(url).get('status').get('ada'));
		const { db } = await presence(url);
		await waitFor(() => watcher.last() === 'online', 'online');
		expect(valueAt(server, 'status/ada')).toBe('online');
		db.disconnect();
		await waitFor(() => watcher.last() === 'offline', 'offline after disconnect()');
		expect(valueAt(server, 'status/ada')).toBe('offline');
	});

	test('a dropped socket (a TCP reset) fires them', async () => {
		const { server, port } = await startServer();
		const { proxy, url } = await throughProxy(port);
		await presence(url);
		expect(proxy.reset()).toBe(1);
		await waitFor(() => valueAt(server, 'status/ada') === 'offline', 'offline after the reset');
	});

	test("a failed keep-alive fires them: the client's heartbeat hook throws, so it never answers", async () => {
		const { server, url } = await startServer({ keepAliveInterval: 40 });
		const { db } = await presence(url);
		db.intercept('client:heartbeat', () => {
			throw new Error('no answer');
		});
		await waitFor(() => valueAt(server, 'status/ada') === 'offline', 'offline after the keep-alive failed');
	});

	test('client.close() by the server fires them', async () => {
		const { server, url } = await startServer();
		await presence(url);
		await waitFor(() => server.getClients().length === 1, 'the client');
		server.getClients()[0]!.close();
		await waitFor(() => valueAt(server, 'status/ada') === 'offline', 'offline after client.close()');
	});

	test("the server's own close() does not fire them; the client registers them again with the server it reconnects to", async () => {
		const first = await startServer();
		let backend = first.port;
		const proxy = await startTcpProxy(() => [backend]);
		const { db } = await presence(`ws://127.0.0.1:${proxy.port}`);
		const reconnected = new Promise<void>((resolve) => db.intercept('client:reconnect', () => resolve()));
		// Once close() resolved, every connection is gone: a write it fired would be applied by now.
		await first.close();
		expect(valueAt(first.server, 'status/ada')).toBe('online');
		expect(first.errors).toEqual([]);

		const second = await startServer();
		backend = second.port;
		await reconnected;
		// Made after the handshake, so it follows the registration the reconnect sent.
		await db.get('status').get('ada').set('back');
		db.disconnect();
		await waitFor(() => valueAt(second.server, 'status/ada') === 'offline', 'offline on the second server');
	});

	test('a connection ended for breaking the protocol (goodbye too-many-errors) fires them', async () => {
		const { server, url } = await startServer({ limits: { badRequestsPerMinute: 1 } });
		const raw = await handshake(url);
		raw.send({ type: MessageType.ON_DISCONNECT, seq: 1, op: 'set', path: 'raw', node: nodeify('gone') });
		expect(await raw.answer(1)).toEqual({ type: MessageType.ACK, seq: 1, rev: expect.any(Number) });
		raw.sendBytes(pack([MessageType.ON_DISCONNECT, 2, 'bogus', 'x']));
		raw.sendBytes(pack([MessageType.ON_DISCONNECT, 3, 'bogus', 'x']));
		await waitFor(() => raw.closed() !== undefined, 'the goodbye');
		expect(raw.messages.find((message) => message.type === MessageType.GOODBYE)).toMatchObject({ goodbye: { reason: 'too-many-errors' } });
		await waitFor(() => valueAt(server, 'raw') === 'gone', "the raw connection's write");
	});
});

describe('order, update and delete', () => {
	test('writes apply in the order they were registered; update and delete do as the matching writes', async () => {
		const { server, url } = await startServer();
		const db = connectClient(url);
		await db.get('doc').set({ n: 0, gone: 'x', keep: true });
		await db.get('cursor').set({ x: 1 });
		const doc = db.get('doc').onDisconnect();
		await doc.set({ n: 1, added: 'yes' });
		await doc.update({ n: 2, gone: null, 'deep/er': 3 });
		await db.get('cursor').onDisconnect().delete();
		expect(valueAt(server, 'doc')).toEqual({ n: 0, gone: 'x', keep: true });
		db.disconnect();
		await waitFor(() => valueAt(server, 'cursor') === null, 'the delete');
		expect(valueAt(server, 'doc')).toEqual({ n: 2, keep: true, added: 'yes', deep: { er: 3 } });
	});

	test('hooks see the writes as they would see the matching writes, when registered and again when applied, with the client', async () => {
		const seen: { hook: string; args: unknown; client: string | null }[] = [];
		const spy: ServerPlugin = {
			name: 'spy',
			hooks: {
				'server:update': ({ data }, { client }) => void seen.push({ hook: 'update', args: unwrap(data as Node), client: client.id }),
				'server:delete': ({ path }, { client }) => void seen.push({ hook: 'delete', args: path, client: client.id }),
			},
		};
		const { server, url } = await startServer({ plugins: [spy] });
		const db = connectClient(url);
		await db.get('a/b').onDisconnect().set(1);
		await db.get('c').onDisconnect().update({ d: 2, e: null });
		await db.get('f').onDisconnect().delete();
		const id = server.getClients()[0]!.id;
		const registered = [
			{ hook: 'update', args: { a: { b: 1 } }, client: id },
			{ hook: 'update', args: { c: { d: 2 } }, client: id },
			{ hook: 'delete', args: 'c/e', client: id },
			{ hook: 'delete', args: 'f', client: id },
		];
		expect(seen).toEqual(registered);
		expect(valueAt(server, 'a')).toBeNull();
		db.disconnect();
		await waitFor(() => seen.length === 8, 'the hooks when the writes apply');
		expect(seen.slice(4)).toEqual(registered);
		expect(valueAt(server, 'a/b')).toBe(1);
		expect(valueAt(server, 'c/d')).toBe(2);
	});
});

describe('hooks refuse', () => {
	test('a refused registration rejects with the reason, is never applied and never registered again', async () => {
		const checked: unknown[] = [];
		const { server, port } = await startServer({
			plugins: [
				{
					name: 'guard',
					hooks: {
						'server:update': ({ data }) => {
							checked.push(unwrap(data as Node));
							if (JSON.stringify(data).includes('forbidden')) throw new SocketDBError('FORBIDDEN', 'not this one');
						},
					},
				},
			],
		});
		const { proxy, url } = await throughProxy(port);
		const db = connectClient(url);
		await expect(db.get('x').onDisconnect().set('forbidden')).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'not this one' });
		await db.get('y').onDisconnect().set('fine');
		const reconnected = new Promise<void>((resolve) => db.intercept('client:reconnect', () => resolve()));
		proxy.reset();
		await waitFor(() => valueAt(server, 'y') === 'fine', 'the accepted write');
		await reconnected;
		await db.get('marker').set(1);
		// Registered again on the new connection: only the accepted one.
		expect(checked.filter((value) => JSON.stringify(value).includes('forbidden'))).toHaveLength(1);
		expect(checked.filter((value) => JSON.stringify(value).includes('fine'))).toHaveLength(3);
		expect(valueAt(server, 'x')).toBeNull();
	});

	test('a write refused when it fires is reported to onError and skipped; the others still apply', async () => {
		let firing = false;
		const { server, url, errors } = await startServer({
			plugins: [
				{
					name: 'guard',
					hooks: {
						'server:update': ({ data }) => {
							if (firing && JSON.stringify(data).includes('"b"')) throw new SocketDBError('FORBIDDEN', 'not now');
						},
					},
				},
			],
		});
		const db = connectClient(url);
		await db.get('a').onDisconnect().set(1);
		await db.get('b').onDisconnect().set(2);
		await db.get('c').onDisconnect().set(3);
		firing = true;
		db.disconnect();
		await waitFor(() => valueAt(server, 'c') === 3, 'the last write');
		expect(valueAt(server, 'a')).toBe(1);
		expect(valueAt(server, 'b')).toBeNull();
		expect(errors).toEqual([expect.objectContaining({ code: 'FORBIDDEN', message: 'not now' })]);
	});
});

describe('cancel and re-arming', () => {
	test('cancel drops the writes at the path and below it, not those above or beside it', async () => {
		const { server, url } = await startServer();
		const db = connectClient(url);
		await db.get('room/a/x').onDisconnect().set(1);
		await db.get('room/b').onDisconnect().delete();
		await db.get('room').onDisconnect().update({ left: true });
		await db.get('roomy').onDisconnect().set(2);
		await db.get('other').onDisconnect().set(3);
		await db.get('room/b').set('kept');
		await db.get('room/a').onDisconnect().cancel();
		await db.get('room').onDisconnect().cancel();
		await db.get('room/later').onDisconnect().set(4);
		db.disconnect();
		await waitFor(() => valueAt(server, 'room/later') === 4, 'the writes not cancelled');
		expect(valueAt(server, 'other')).toBe(3);
		expect(valueAt(server, 'roomy')).toBe(2);
		expect(valueAt(server, 'room')).toEqual({ b: 'kept', later: 4 });
	});

	test('after a reconnect the client registers its writes again, so they fire again on the next drop; cancelled ones do not', async () => {
		const { server, port, url: direct } = await startServer();
		const { proxy, url } = await throughProxy(port);
		const watcher = record(connectClient(direct).get('status'));
		const db = connectClient(url);
		const online = async () => {
			await db.get('status').set({ ada: 'online', typing: true });
			await waitFor(() => JSON.stringify(watcher.last()) === '{"ada":"online","typing":true}', 'online');
		};
		db.intercept('client:reconnect', () => void online());
		await online();
		await db.get('status/ada').onDisconnect().set('offline');
		await db.get('status/typing').onDisconnect().delete();
		await db.get('status/typing').onDisconnect().cancel();

		for (let round = 0; round < 2; round++) {
			expect(proxy.reset()).toBe(1);
			await waitFor(() => JSON.stringify(watcher.last()) === '{"ada":"offline","typing":true}', `offline, round ${round}`);
			await waitFor(() => JSON.stringify(watcher.last()) === '{"ada":"online","typing":true}', `online again, round ${round}`);
		}
		expect(valueAt(server, 'status')).toEqual({ ada: 'online', typing: true });
	});

	test('registrations made while offline are sent, in order, once connected', async () => {
		const { server, url } = await startServer();
		const db = connectClient(url);
		db.disconnect();
		const registered = db.get('late').onDisconnect().set('first');
		const updated = db.get('late').onDisconnect().set('second');
		db.connect(url);
		await Promise.all([registered, updated]);
		db.disconnect();
		await waitFor(() => valueAt(server, 'late') === 'second', 'both, in order');
	});
});

describe('limits and bad input', () => {
	test('a connection holds at most 100 writes: the next is refused with TOO_MANY_DISCONNECT_WRITES until one is cancelled', async () => {
		const { server, url } = await startServer();
		const db = connectClient(url);
		await Promise.all(Array.from({ length: 100 }, (_, i) => db.get(`many/${i}`).onDisconnect().set(i)));
		await expect(db.get('many/100').onDisconnect().set(100)).rejects.toMatchObject({ code: 'TOO_MANY_DISCONNECT_WRITES' });
		await db.get('many/0').onDisconnect().cancel();
		await db.get('many/100').onDisconnect().set(100);
		db.disconnect();
		await waitFor(() => valueAt(server, 'many/100') === 100, 'the writes');
		const many = valueAt(server, 'many') as Record<string, number>;
		expect(Object.keys(many)).toHaveLength(100);
		expect(many['0']).toBeUndefined();
	});

	test('a malformed ON_DISCONNECT is refused with the usual codes and registers nothing; the connection goes on', async () => {
		const { server, url } = await startServer();
		const raw = await handshake(url);
		raw.sendBytes(pack([MessageType.ON_DISCONNECT, 1, 'push', 'a', { value: 1 }]));
		raw.sendBytes(pack([MessageType.ON_DISCONNECT, 2, 'set', 'a', 'not a node']));
		raw.sendBytes(pack([MessageType.ON_DISCONNECT, 3, 'update', 'a', null]));
		raw.sendBytes(pack([MessageType.ON_DISCONNECT, 'x', 'delete', 'a']));
		raw.send({ type: MessageType.ON_DISCONNECT, seq: 4, op: 'set', path: 'a//b', node: nodeify(1) });
		raw.send({ type: MessageType.ON_DISCONNECT, seq: 5, op: 'set', path: '', node: nodeify(5) });
		raw.send({ type: MessageType.ON_DISCONNECT, seq: 6, op: 'set', path: 'a', node: { value: { constructor: { value: 1 } } } });
		raw.send({ type: MessageType.ON_DISCONNECT, seq: 7, op: 'update', path: 'a', deleted: [''] });
		raw.send({ type: MessageType.ON_DISCONNECT, seq: 8, op: 'cancel', path: '/a' });
		raw.send({ type: MessageType.ON_DISCONNECT, seq: 9, op: 'set', path: 'ok', node: nodeify('applied') });
		const codes = [];
		for (let seq = 1; seq <= 9; seq++) {
			const answer = await raw.answer(seq);
			codes.push(answer.type === MessageType.REJECT ? answer.code : 'ACK');
		}
		expect(codes).toEqual(['INVALID_MESSAGE', 'INVALID_MESSAGE', 'INVALID_MESSAGE', 'INVALID_PATH', 'INVALID_VALUE', 'INVALID_VALUE', 'INVALID_PATH', 'INVALID_PATH', 'ACK']);
		expect(raw.messages.filter((message) => message.type === MessageType.ERROR)).toEqual([expect.objectContaining({ code: 'INVALID_MESSAGE' })]);
		expect(raw.closed()).toBeUndefined();
		// A resend of a number already answered gets that answer and registers nothing.
		raw.send({ type: MessageType.ON_DISCONNECT, seq: 5, op: 'set', path: 'again', node: nodeify(1) });
		await waitFor(() => raw.messages.filter((message) => message.type === MessageType.REJECT && message.seq === 5).length === 2, 'the answer to the resend');
		raw.ws.terminate();
		await waitFor(() => valueAt(server, 'ok') === 'applied', 'the valid one');
		const db = connectClient(url);
		const settled = barrier(db);
		await settled();
		expect(valueAt(server, 'a')).toBeNull();
		expect(valueAt(server, 'again')).toBeNull();
	});
});

test("a client back on a new connection while its old one still looks open: the old one ends at once (goodbye replaced), and its writes fire before the new connection's", async () => {
	const { server, url } = await startServer();
	const session = `half-open-${Math.random()}`;
	const hello = (acked: number) => ({ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session, acked, info: {} }) as const;
	const old = await openRaw(url);
	old.send(hello(0));
	await old.next(MessageType.WELCOME, 0);
	old.send({ type: MessageType.SET, seq: 1, path: 'status/ada', node: { value: 'online' } });
	old.send({ type: MessageType.ON_DISCONNECT, seq: 2, op: 'set', path: 'status/ada', node: { value: 'offline' } });
	await waitFor(() => old.messages.filter((message) => message.type === MessageType.ACK).length === 2, 'both answers');

	// Nothing tells the server the old socket is gone; the client connects again and says it is online.
	const fresh = await openRaw(url);
	fresh.send(hello(2));
	await fresh.next(MessageType.WELCOME, 0);
	expect(await old.next(MessageType.GOODBYE, 0)).toMatchObject({ goodbye: { reason: 'replaced' } });
	fresh.send({ type: MessageType.SET, seq: 3, path: 'status/ada', node: { value: 'online again' } });
	await fresh.next(MessageType.ACK, 0);
	// A read after the write is answered with the value as the server holds it once both connections' writes applied.
	const from = fresh.messages.length;
	fresh.send({ type: MessageType.SUBSCRIBE, path: 'status/ada' });
	expect(await fresh.next(MessageType.SNAPSHOT, from)).toMatchObject({ node: { value: 'online again' } });
	expect(server.get('status/ada').value).toBe('online again');
});

test('server values in onDisconnect writes are filled in when the write fires', async () => {
	const { server, url } = await startServer();
	await server.update(nodeify({ visits: 5 }));
	const db = connectClient(url);
	await db.get('lastSeen').onDisconnect().set(serverTimestamp());
	await db.onDisconnect().update({ visits: increment(1) });
	const before = Date.now();
	expect(server.get('lastSeen').value).toBeNull();
	db.disconnect();
	await waitFor(() => server.get('visits').value === 6, 'the writes to fire');
	const at = server.get('lastSeen').value as number;
	expect(at).toBeGreaterThanOrEqual(before);
	expect(at).toBeLessThanOrEqual(Date.now());
});
