import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { createStore, encodeFrame, MessageType, nodeify, PROTOCOL_VERSION, unwrap, type Node, type Store } from '@socketdb/core';
import { afterEach, expect, test } from 'vitest';
import { startChaosProxy } from './helpers/chaos-proxy';
import { cleanup, connectClient, sleep, startServer, waitFor } from './helpers/server';

afterEach(cleanup);

/** The in-memory store, failing every write that touches `failing`. */
function failingStore(failing: string): Store {
	const store = createStore();
	const touches = (node: Node): boolean => typeof node.value === 'object' && node.value !== null && !Array.isArray(node.value) && failing in node.value;
	return {
		get: (path) => store.get(path),
		put: (diff) => {
			if (touches(diff)) throw new Error('disk on fire');
			return store.put(diff);
		},
		del: (path) => {
			if (path.startsWith(failing)) throw new Error('disk on fire');
			store.del(path);
		},
	};
}

test('a store exception refuses that one write with INTERNAL_ERROR, is reported, and the server carries on', async () => {
	const { url, server, errors } = await startServer({ store: failingStore('broken') });
	const db = connectClient(url, { plugins: [{ name: 'quiet', hooks: { 'client:error': () => undefined } }] });
	await db.get('fine').set(1);
	await expect(db.get('broken').set({ a: 1 })).rejects.toMatchObject({ code: 'INTERNAL_ERROR', message: 'the store failed to apply the write' });
	await expect(db.get('broken').delete()).rejects.toMatchObject({ code: 'INTERNAL_ERROR', message: 'the store failed to apply the delete' });
	await db.get('fine').set(2);
	expect(unwrap(server.get(''))).toEqual({ fine: 2 });
	expect(errors.map((error) => error.message)).toEqual(['disk on fire', 'disk on fire']);
});

test('server.close() under load, with connections being reset, completes and leaves every connection closed', async () => {
	const { server, port, url } = await startServer({ updateInterval: 0 });
	const proxy = await startChaosProxy({ port });
	const writers = Array.from({ length: 8 }, (_, i) => connectClient(i % 2 === 0 ? url : proxy.url, { plugins: [{ name: 'quiet', hooks: { 'client:error': () => undefined } }] }));
	for (const [i, db] of writers.entries()) db.get(`load/${i}`).on(() => undefined);
	await Promise.all(writers.map((db, i) => db.get(`load/${i}`).set(0)));
	let stop = false;
	const loops = writers.map(async (db, i) => {
		for (let n = 1; !stop && n < 100_000; n++) {
			void db.get(`load/${i}`).set({ n, pad: 'x'.repeat(200) });
			if (n % 20 === 0) await sleep(0);
		}
	});
	// Under way: every writer's load reached the server.
	await waitFor(() => writers.every((_, i) => typeof unwrap(server.get(`load/${i}`)) === 'object'), "every writer's load");
	const resets = setInterval(() => proxy.reset(), 5);
	const started = Date.now();
	await server.close();
	const took = Date.now() - started;
	stop = true;
	clearInterval(resets);
	await Promise.all(loops);
	await proxy.close();
	expect(took).toBeLessThan(5_000);
	expect(server.getClients()).toEqual([]);
	expect(unwrap(server.get('load/0'))).toMatchObject({ pad: 'x'.repeat(200) });
});

test('a client reset in the middle of a frame leaves nothing half-applied and nothing behind', async () => {
	const { server, port } = await startServer({ updateInterval: 0 });
	const socket = connect({ port, host: '127.0.0.1' });
	socket.on('error', () => undefined);
	await new Promise((resolve) => socket.once('connect', resolve));
	socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
	let received = '';
	socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
	await waitFor(() => received.startsWith('HTTP/1.1 101'), 'the upgrade');
	socket.write(maskedFrame(encodeFrame([{ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session: 'reset-test', acked: 0, info: {} }])));
	await waitFor(() => server.getClients().length === 1, 'the handshake');

	const big: Record<string, string> = {};
	for (let i = 0; i < 2000; i++) big[`k${i}`] = 'v'.repeat(100);
	const frame = maskedFrame(encodeFrame([{ type: MessageType.SET, seq: 1, path: 'big', node: nodeify(big) }]));
	socket.write(frame.subarray(0, frame.length / 2));
	await sleep(20);
	socket.resetAndDestroy();

	await waitFor(() => server.getClients().length === 0, 'the connection to close on the server');
	expect(server.get('big')).toEqual({ value: null });
	const db = connectClient(`ws://127.0.0.1:${port}`);
	await db.get('after').set(1);
	expect(unwrap(server.get(''))).toEqual({ after: 1 });
});

/** A client-to-server WebSocket binary frame (masked, as clients must send). */
function maskedFrame(payload: Uint8Array): Buffer {
	const length = payload.length;
	const header = length < 126 ? Buffer.from([0x82, 0x80 | length]) : length < 65536 ? Buffer.from([0x82, 0x80 | 126, length >> 8, length & 0xff]) : Buffer.concat([Buffer.from([0x82, 0x80 | 127]), bigEndian64(length)]);
	const mask = randomBytes(4);
	const body = Buffer.from(payload);
	for (let i = 0; i < body.length; i++) body[i]! ^= mask[i % 4]!;
	return Buffer.concat([header, mask, body]);
}

function bigEndian64(value: number): Buffer {
	const bytes = Buffer.alloc(8);
	bytes.writeBigUInt64BE(BigInt(value));
	return bytes;
}
