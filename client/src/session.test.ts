import { decodeFrame, encodeFrame, MessageType, parseClientMessage, PROTOCOL_VERSION, type CloseInfo, type SocketClient } from '@socketdb/core';
import { expect, test, vi } from 'vitest';
import { ClientSession, FRAMES_PER_WINDOW } from './session';

function connectedSession() {
	const frames: Uint8Array[] = [];
	let open = () => undefined as void;
	let message = (_frame: Uint8Array) => undefined as void;
	const transport: SocketClient = {
		connect: () => queueMicrotask(() => open()),
		close: () => undefined,
		send: (frame) => void frames.push(frame),
		onOpen: (listener) => void (open = listener),
		onClose: (_listener: (info: CloseInfo) => void) => undefined,
		onMessage: (listener) => void (message = listener),
	};
	const session = new ClientSession(transport, { ready: () => undefined, message: () => undefined, lost: () => undefined, malformed: () => undefined }, () => ({ acked: 0, info: {} }));
	session.connect('ws://fake');
	return {
		session,
		frames,
		async ready() {
			await new Promise((resolve) => setImmediate(resolve));
			message(encodeFrame([{ type: MessageType.WELCOME, protocol: PROTOCOL_VERSION, id: '1' }]));
			frames.length = 0;
		},
	};
}

const subscribe = (path: string) => ({ type: MessageType.SUBSCRIBE, path }) as const;
const turn = () => new Promise((resolve) => setImmediate(resolve));

test('messages sent in one tick share a frame', async () => {
	const { session, frames, ready } = connectedSession();
	await ready();
	session.send(subscribe('a'));
	session.send(subscribe('b'));
	await turn();
	expect(frames).toHaveLength(1);
	expect(decodeFrame(frames[0]!).map(parseClientMessage)).toEqual([subscribe('a'), subscribe('b')]);
});

test('a few messages in separate ticks go out at once; a fast stream is gathered into few frames, none lost', async () => {
	const { session, frames, ready } = connectedSession();
	await ready();
	for (let i = 0; i < FRAMES_PER_WINDOW; i++) {
		session.send(subscribe(`quick/${i}`));
		await turn();
	}
	expect(frames).toHaveLength(FRAMES_PER_WINDOW);
	for (let i = 0; i < 200; i++) {
		session.send(subscribe(`stream/${i}`));
		await turn();
	}
	const paths = () => frames.flatMap((frame) => decodeFrame(frame).map((raw) => (parseClientMessage(raw) as { path: string }).path));
	await vi.waitFor(() => expect(paths()).toHaveLength(FRAMES_PER_WINDOW + 200));
	expect(paths()).toEqual([...Array.from({ length: FRAMES_PER_WINDOW }, (_, i) => `quick/${i}`), ...Array.from({ length: 200 }, (_, i) => `stream/${i}`)]);
	expect(frames.length).toBeLessThan(60);
});
