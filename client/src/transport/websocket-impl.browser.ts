import type { OpenSocket, SocketEvents } from './open-socket';

/** In browsers the client uses the built-in `WebSocket`. */
export function openSocket(url: string, protocols: string | string[] | undefined, events: SocketEvents): OpenSocket {
	const ws = new WebSocket(url, protocols);
	ws.binaryType = 'arraybuffer';
	ws.onopen = events.open;
	ws.onmessage = (event) => {
		if (event.data instanceof ArrayBuffer) events.message(new Uint8Array(event.data));
	};
	// Every error is followed by a close event, which is what the transport acts on.
	ws.onerror = () => undefined;
	ws.onclose = (event) => events.close(event.code, event.reason);
	return {
		send: (frame) => {
			if (ws.readyState === WebSocket.OPEN) ws.send(frame);
		},
		close: (code) => {
			ws.onopen = null;
			ws.onmessage = null;
			ws.onclose = null;
			if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(code);
		},
	};
}
