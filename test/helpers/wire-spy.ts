import { createWebsocketClient } from '@socketdb/client';
import { decodeFrame, parseClientMessage, parseServerMessage, type ClientMessage, type ServerMessage, type SocketClient } from '@socketdb/core';

/** A client transport that records every message going each way, decoded, for tests that check what travelled. */
export type WireSpy = { socketClient: SocketClient; sent: ClientMessage[]; received: ServerMessage[] };

/** Wraps `inner` (the ws client transport by default) so that every frame it carries is also decoded and recorded. */
export function wireSpy(inner: SocketClient = createWebsocketClient({ reconnectTimeout: 200 })): WireSpy {
	const sent: ClientMessage[] = [];
	const received: ServerMessage[] = [];
	const socketClient: SocketClient = {
		connect: (url) => inner.connect(url),
		close: () => inner.close(),
		send(frame) {
			for (const raw of decodeFrame(frame)) sent.push(parseClientMessage(raw));
			inner.send(frame);
		},
		onOpen: (listener) => inner.onOpen(listener),
		onClose: (listener) => inner.onClose(listener),
		onMessage: (listener) =>
			inner.onMessage((frame) => {
				for (const raw of decodeFrame(frame)) received.push(parseServerMessage(raw));
				listener(frame);
			}),
	};
	return { socketClient, sent, received };
}
