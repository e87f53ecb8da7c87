import WebSocket from 'ws';
import { decodeFrame, encodeFrame, MessageType, parseServerMessage, PROTOCOL_VERSION, type ClientInfo, type ClientMessage, type ServerMessage } from '@socketdb/core';
import { waitFor } from './server';

/** A WebSocket speaking the protocol by hand, for tests that send what a real client never would. */
export type Raw = {
	ws: WebSocket;
	messages: ServerMessage[];
	unreadable: unknown[];
	closed: () => { code: number; reason: string } | undefined;
	send: (...messages: ClientMessage[]) => void;
	sendBytes: (bytes: Uint8Array | string) => void;
	/** The server's answer (ACK or REJECT) to the write numbered `seq`. */
	answer: (seq: number) => Promise<Extract<ServerMessage, { type: typeof MessageType.ACK | typeof MessageType.REJECT }>>;
	/** The next message of `type` received after `from` messages. */
	next: <T extends ServerMessage['type']>(type: T, from: number) => Promise<Extract<ServerMessage, { type: T }>>;
};

const rawSockets: WebSocket[] = [];

/** Terminates every raw socket opened so far; call from afterEach. */
export function closeRawSockets(): void {
	for (const ws of rawSockets.splice(0)) ws.terminate();
}

export async function openRaw(url: string, headers: Record<string, string> = {}): Promise<Raw> {
	const ws = new WebSocket(url, { headers });
	rawSockets.push(ws);
	const messages: ServerMessage[] = [];
	const unreadable: unknown[] = [];
	let closed: { code: number; reason: string } | undefined;
	ws.on('message', (data: Buffer, isBinary: boolean) => {
		if (!isBinary) return unreadable.push(data.toString());
		for (const raw of decodeFrame(new Uint8Array(data))) {
			try {
				messages.push(parseServerMessage(raw));
			} catch {
				unreadable.push(raw);
			}
		}
	});
	ws.on('close', (code, reason) => (closed = { code, reason: reason.toString() }));
	ws.on('error', () => undefined);
	await new Promise<void>((resolve, reject) => {
		ws.once('open', () => resolve());
		ws.once('error', reject);
	});
	const raw: Raw = {
		ws,
		messages,
		unreadable,
		closed: () => closed,
		send: (...list) => ws.send(encodeFrame(list), { binary: true }),
		sendBytes: (bytes) => ws.send(bytes, { binary: typeof bytes !== 'string' }),
		async answer(seq) {
			const isAnswer = (message: ServerMessage) => (message.type === MessageType.ACK || message.type === MessageType.REJECT) && message.seq === seq;
			await waitFor(() => messages.some(isAnswer), `the answer to write ${seq}`);
			return messages.find(isAnswer) as never;
		},
		async next(type, from) {
			let found: ServerMessage | undefined;
			await waitFor(() => (found = messages.slice(from).find((message) => message.type === type)) !== undefined, `message type ${type}`);
			return found as never;
		},
	};
	return raw;
}

export const hello = (protocol = PROTOCOL_VERSION): ClientMessage => ({ type: MessageType.HELLO, protocol, session: `raw-${Math.random()}`, acked: 0, info: {} });

/** The hello of a client coming back in write session `session`, having had `acked` writes answered. */
export const sessionHello = (session: string, acked = 0): ClientMessage => ({ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session, acked, info: {} });

export async function handshake(url: string, headers: Record<string, string> = {}, info: ClientInfo = {}): Promise<Raw> {
	const raw = await openRaw(url, headers);
	raw.send({ ...hello(), info } as ClientMessage);
	await raw.next(MessageType.WELCOME, 0);
	return raw;
}

/** True once the server answered a subscription to `path` with its SNAPSHOT. */
export function snapshotArrived(raw: Raw, path: string): boolean {
	return raw.messages.some((message) => message.type === MessageType.SNAPSHOT && message.path === path);
}

/**
 * Subscribes to `path` (a path used for nothing else) and resolves once the server answered: it
 * handled everything sent before, and what it sent before arrived.
 */
export async function barrier(raw: Raw, path: string): Promise<void> {
	raw.send({ type: MessageType.SUBSCRIBE, path });
	await waitFor(() => snapshotArrived(raw, path), `the answer to subscribing "${path}"`);
}

/** Resolves once the server answered a WebSocket ping sent now: it has read every frame sent before. */
export function pong(raw: Raw): Promise<void> {
	return new Promise((resolve) => {
		raw.ws.once('pong', () => resolve());
		raw.ws.ping();
	});
}
