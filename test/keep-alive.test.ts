import { afterEach, expect, test } from 'vitest';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame, MessageType, parseServerMessage, PROTOCOL_VERSION, type ClientMessage, type GoodbyeMessage, type ServerMessage } from '@socketdb/core';
import type { Client } from '@socketdb/server';
import { cleanup, connectClient, startServer, waitFor } from './helpers/server';

const rawSockets: WebSocket[] = [];
afterEach(async () => {
	for (const ws of rawSockets.splice(0)) ws.terminate();
	await cleanup();
});

const INTERVAL = 50;

/** A raw protocol client that completes the handshake and then only listens. */
async function rawClient(url: string) {
	const ws = new WebSocket(url);
	rawSockets.push(ws);
	const messages: ServerMessage[] = [];
	let closed: { code: number; reason: string } | undefined;
	ws.on('message', (data: Buffer) => {
		for (const raw of decodeFrame(new Uint8Array(data))) messages.push(parseServerMessage(raw));
	});
	ws.on('close', (code, reason) => (closed = { code, reason: reason.toString() }));
	ws.on('error', () => undefined);
	await new Promise<void>((resolve, reject) => {
		ws.once('open', () => resolve());
		ws.once('error', reject);
	});
	const send = (message: ClientMessage) => ws.send(encodeFrame([message]));
	send({ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session: `raw-${Math.random()}`, acked: 0, info: {} });
	await waitFor(() => messages.some((message) => message.type === MessageType.WELCOME), 'welcome');
	return { ws, messages, send, closed: () => closed };
}

/** Makes a raw client answer every ping with a pong carrying its payload, as a live client does. */
function answeringPings<Raw extends Awaited<ReturnType<typeof rawClient>>>(raw: Raw): Raw {
	raw.ws.on('message', (data: Buffer) => {
		for (const message of decodeFrame(new Uint8Array(data)).map(parseServerMessage)) {
			if (message.type === MessageType.PING) raw.send({ type: MessageType.PONG, payload: message.payload });
		}
	});
	return raw;
}

async function onlyClient(server: { getClients: () => Client[] }): Promise<Client> {
	await waitFor(() => server.getClients().length === 1, 'the client to connect');
	return server.getClients()[0]!;
}

test("the server pings, the client answers, and 'server:heartbeat' sees the payload; the client stays connected", async () => {
	const heartbeats: { payload: unknown; clientId: string; hasApi: boolean }[] = [];
	const disconnects: string[] = [];
	const { server, url } = await startServer({
		keepAliveInterval: INTERVAL,
		plugins: [
			{
				name: 'beats',
				hooks: {
					'server:heartbeat': (payload, { client, api }) => void heartbeats.push({ payload, clientId: client.id, hasApi: typeof api.get === 'function' }),
					'server:clientDisconnect': ({ id }) => void disconnects.push(id),
				},
			},
		],
	});
	const db = connectClient(url);
	const client = await onlyClient(server);
	await waitFor(() => heartbeats.length >= 3, 'three heartbeats');
	expect(heartbeats[0]).toEqual({ payload: {}, clientId: client.id, hasApi: true });
	// Three more rounds of ping and answer: none of them closed the client.
	const before = heartbeats.length;
	await waitFor(() => heartbeats.length >= before + 3, 'three more heartbeats');
	expect(disconnects).toEqual([]);
	expect(server.getClients().map((each) => each.id)).toEqual([client.id]);
	await db.get('alive').set(true);
	expect(server.get('alive').value).toBe(true);
});

test("'server:keepAliveCheck' return value is the ping payload 'client:heartbeat' sees, whose return value 'server:heartbeat' receives", async () => {
	const checks: { args: unknown; clientId: string; hasApi: boolean }[] = [];
	const pings: unknown[] = [];
	const pongs: unknown[] = [];
	let nonce = 0;
	const { server, url } = await startServer({
		keepAliveInterval: INTERVAL,
		plugins: [
			{
				name: 'nonce',
				hooks: {
					'server:keepAliveCheck': (args, { client, api }) => {
						checks.push({ args: { ...args }, clientId: client.id, hasApi: typeof api.get === 'function' });
						return { nonce: ++nonce };
					},
					'server:heartbeat': (payload) => void pongs.push(payload),
				},
			},
		],
	});
	connectClient(url, {
		plugins: [
			{
				name: 'answer',
				hooks: {
					'client:heartbeat': (payload) => {
						pings.push(payload);
						return { ...payload, answer: 'pong' };
					},
				},
			},
		],
	});
	const client = await onlyClient(server);
	await waitFor(() => pongs.length >= 2, 'two heartbeats');
	expect(checks[0]).toEqual({ args: {}, clientId: client.id, hasApi: true });
	expect(pings.slice(0, 2)).toEqual([{ nonce: 1 }, { nonce: 2 }]);
	expect(pongs.slice(0, 2)).toEqual([
		{ nonce: 1, answer: 'pong' },
		{ nonce: 2, answer: 'pong' },
	]);
});

test("a throwing 'server:keepAliveCheck' says goodbye 'keep-alive-check-failed' and closes the connection", async () => {
	let refuse = true;
	const disconnects: string[] = [];
	const { server, url, errors } = await startServer({
		keepAliveInterval: INTERVAL,
		plugins: [
			{
				name: 'refuse',
				hooks: {
					'server:keepAliveCheck': () => {
						if (refuse) throw new Error('session expired');
					},
					'server:clientDisconnect': ({ id }) => void disconnects.push(id),
				},
			},
		],
	});
	const events: string[] = [];
	const goodbyes: GoodbyeMessage[] = [];
	connectClient(url, {
		plugins: [
			{
				name: 'watch',
				hooks: {
					'client:serverDisconnectMessage': (goodbye) => {
						goodbyes.push({ ...goodbye });
						events.push('goodbye');
					},
					'client:disconnect': () => void events.push('disconnect'),
				},
			},
		],
	});
	const client = await onlyClient(server);
	await waitFor(() => events.includes('disconnect'), 'the client to be disconnected');
	refuse = false;
	expect(events.slice(0, 2)).toEqual(['goodbye', 'disconnect']);
	expect(goodbyes[0]).toMatchObject({ reason: 'keep-alive-check-failed' });
	await waitFor(() => disconnects.includes(client.id), 'server:clientDisconnect');
	expect(errors.map((error) => error.message)).toContain('session expired');
});

test("a throwing 'server:heartbeat' leaves the client unanswered, so it is closed at the next check", async () => {
	const heartbeats: number[] = [];
	const disconnects: { id: string; at: number }[] = [];
	const { server, url, errors } = await startServer({
		keepAliveInterval: INTERVAL,
		plugins: [
			{
				name: 'reject-beats',
				hooks: {
					'server:heartbeat': () => {
						heartbeats.push(Date.now());
						throw new Error('heartbeat refused');
					},
					'server:clientDisconnect': ({ id }) => void disconnects.push({ id, at: Date.now() }),
				},
			},
		],
	});
	const events: string[] = [];
	connectClient(url, { plugins: [{ name: 'watch', hooks: { 'client:disconnect': () => void events.push('disconnect') } }] });
	const client = await onlyClient(server);
	await waitFor(() => disconnects.some((each) => each.id === client.id), 'the unanswered client to be closed');
	await waitFor(() => events.includes('disconnect'), 'client:disconnect');
	expect(heartbeats.length).toBeGreaterThanOrEqual(1);
	expect(disconnects[0]!.at).toBeGreaterThanOrEqual(heartbeats[0]!);
	expect(errors.map((error) => error.message)).toContain('heartbeat refused');
});

test("a throwing 'client:heartbeat' vetoes the answer: none is sent, the server closes the connection at the next check, and the client comes back", async () => {
	const disconnects: string[] = [];
	const { server, url } = await startServer({ keepAliveInterval: INTERVAL, plugins: [{ name: 'watch', hooks: { 'server:clientDisconnect': ({ id }) => void disconnects.push(id) } }] });
	const clientErrors: { code: string; message: string }[] = [];
	let refuse = true;
	const db = connectClient(url, {
		plugins: [
			{
				name: 'refuse-beats',
				hooks: {
					'client:heartbeat': () => {
						if (refuse) throw new Error('not answering');
					},
					'client:error': (error) => void clientErrors.push(error),
				},
			},
		],
	});
	const first = await onlyClient(server);
	await waitFor(() => disconnects.includes(first.id), 'the unanswering client to be closed');
	// A veto, not an error: nothing is reported.
	expect(clientErrors).toEqual([]);
	refuse = false;
	// Reconnected, it answers again and stays.
	await db.get('back').set(true);
	expect(server.get('back')).toEqual({ value: true });
});

test('a raw client that never answers pings is closed', async () => {
	const { url } = await startServer({ keepAliveInterval: INTERVAL });
	const raw = await rawClient(url);
	await waitFor(() => raw.closed() !== undefined, 'the silent client to be closed', 3_000);
	expect(raw.messages.some((message) => message.type === MessageType.PING)).toBe(true);
	const ping = raw.messages.find((message) => message.type === MessageType.PING);
	expect(ping).toEqual({ type: MessageType.PING, payload: {} });
});

test('a raw client that answers pings stays connected', async () => {
	const { url } = await startServer({ keepAliveInterval: INTERVAL });
	const raw = answeringPings(await rawClient(url));
	await waitFor(() => raw.messages.filter((message) => message.type === MessageType.PING).length >= 4, 'four pings');
	expect(raw.closed()).toBe(undefined);
});

test('keepAliveInterval 0 sends no pings', async () => {
	const beats: unknown[] = [];
	const checks: unknown[] = [];
	const { url } = await startServer({
		keepAliveInterval: 0,
		plugins: [{ name: 'spy', hooks: { 'server:keepAliveCheck': (args) => void checks.push(args), 'server:heartbeat': (payload) => void beats.push(payload) } }],
	});
	const raw = await rawClient(url);
	const clientBeats: unknown[] = [];
	const db = connectClient(url, { plugins: [{ name: 'spy', hooks: { 'client:heartbeat': (payload) => void clientBeats.push(payload) } }] });
	await db.get('x').set(1);
	// A server beside it with an interval pings its client several times meanwhile: were this one to ping, it would have by then.
	const reference = await startServer({ keepAliveInterval: INTERVAL });
	const pinged = answeringPings(await rawClient(reference.url));
	await waitFor(() => pinged.messages.filter((message) => message.type === MessageType.PING).length >= 3, 'three pings of the server beside it');
	expect(raw.messages.filter((message) => message.type === MessageType.PING)).toEqual([]);
	expect(raw.closed()).toBe(undefined);
	expect(clientBeats).toEqual([]);
	expect(checks).toEqual([]);
	expect(beats).toEqual([]);
});
