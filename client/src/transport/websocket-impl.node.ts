import WebSocket from 'ws';
import type { OpenSocket, SocketEvents } from './open-socket';

/**
 * In Node the client uses `ws` (Node 20 has no global `WebSocket`), through its
 * EventEmitter interface: binary messages arrive as Buffers, without copies or event objects.
 */
export function openSocket(url: string, protocols: string | string[] | undefined, events: SocketEvents): OpenSocket {
	const ws = new WebSocket(url, protocols);
	ws.on('open', events.open);
	ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
		if (!isBinary) return;
		events.message(Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data);
	});
	// Every error is followed by a close event, which is what the transport acts on.
	ws.on('error', () => undefined);
	ws.on('close', (code: number, reason: Buffer) => events.close(code, reason.toString()));
	return {
		send: (frame) => {
			if (ws.readyState === WebSocket.OPEN) ws.send(frame);
		},
		close: (code) => {
			ws.removeAllListeners('open');
			ws.removeAllListeners('message');
			ws.removeAllListeners('close');
			if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(code);
		},
	};
}
