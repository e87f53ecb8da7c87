import { decodeFrame, encodeFrame, parseServerMessage, type ClientMessage, type ServerMessage, type SocketConnection, type SocketServer } from '@socketdb/core';

/**
 * A transport whose connections never drain: everything sent stays "buffered", as for a
 * client that stopped reading. The test decides when a connection catches up (by setting
 * `state.buffered`).
 */
export function stalledTransport() {
	let accept: ((connection: SocketConnection, id: string) => void) | undefined;
	const server: SocketServer = {
		onConnection: (listener) => void (accept = listener),
		listen: (_port, callback) => callback?.(),
	};
	let ids = 0;
	const connect = () => {
		const frames: Uint8Array[] = [];
		let receive: ((frame: Uint8Array | string) => void) | undefined;
		let closed: (() => void) | undefined;
		const state = { buffered: 0, sentBytes: 0, closed: false };
		const connection: SocketConnection = {
			send(frame) {
				frames.push(frame);
				state.buffered += frame.byteLength;
				state.sentBytes += frame.byteLength;
			},
			close() {
				if (state.closed) return;
				state.closed = true;
				closed?.();
			},
			onMessage: (listener) => void (receive = listener),
			onClose: (listener) => void (closed = listener),
			get bufferedAmount() {
				return state.buffered;
			},
		};
		accept!(connection, String(ids++));
		return {
			state,
			say: (...messages: ClientMessage[]) => receive!(encodeFrame(messages)),
			messages: (): ServerMessage[] => frames.flatMap((frame) => decodeFrame(frame).map(parseServerMessage)),
			/** Ends the connection as the client going away would. */
			close: () => connection.close(),
		};
	};
	return { server, connect };
}
