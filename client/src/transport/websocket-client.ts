import type { CloseInfo, SocketClient } from '@socketdb/core';
import { BINARY_TYPE, WebSocketImpl } from '#websocket-impl';

export type WebsocketClientOptions = {
	/** WebSocket subprotocols to offer. */
	protocols?: string | string[];
	/**
	 * Longest wait between reconnection attempts, in milliseconds. Attempts start after
	 * about 100 ms and back off exponentially (with jitter) up to this bound.
	 * @default 5000
	 */
	reconnectTimeout?: number;
};

const FIRST_RETRY_MS = 100;

/**
 * The default transport: a WebSocket that reconnects on its own, with exponential
 * backoff and jitter, until `close()`.
 *
 * @example const db = SocketDBClient({ socketClient: createWebsocketClient({ reconnectTimeout: 2000 }) });
 */
export function createWebsocketClient({ protocols, reconnectTimeout = 5_000 }: WebsocketClientOptions = {}): SocketClient {
	const openListeners: (() => void)[] = [];
	const closeListeners: ((info: CloseInfo) => void)[] = [];
	const messageListeners: ((frame: Uint8Array) => void)[] = [];
	let socket: WebSocket | undefined;
	let url: string | undefined;
	let wanted = false;
	let attempt = 0;
	let retryTimer: ReturnType<typeof setTimeout> | undefined;

	function open(): void {
		if (url === undefined) return;
		const ws = new WebSocketImpl(url, protocols);
		ws.binaryType = BINARY_TYPE;
		socket = ws;
		ws.onopen = () => {
			if (socket !== ws) return;
			attempt = 0;
			for (const listener of openListeners) listener();
		};
		ws.onmessage = (event: MessageEvent) => {
			if (socket !== ws) return;
			const data = event.data as unknown;
			if (typeof data === 'string') return;
			const frame = data instanceof ArrayBuffer ? new Uint8Array(data) : (data as Uint8Array);
			for (const listener of messageListeners) listener(frame);
		};
		ws.onerror = () => {
			// Every error is followed by a close event, which handles reconnecting.
		};
		ws.onclose = (event: CloseEvent) => {
			if (socket !== ws) return;
			socket = undefined;
			for (const listener of closeListeners) listener({ code: event.code, reason: event.reason });
			if (wanted) scheduleRetry();
		};
	}

	function scheduleRetry(): void {
		const ceiling = Math.min(reconnectTimeout, FIRST_RETRY_MS * 2 ** attempt);
		attempt++;
		const delay = ceiling / 2 + Math.random() * (ceiling / 2);
		retryTimer = setTimeout(() => {
			retryTimer = undefined;
			if (wanted && socket === undefined) open();
		}, delay);
	}

	function drop(): void {
		clearTimeout(retryTimer);
		retryTimer = undefined;
		const ws = socket;
		if (ws === undefined) return;
		socket = undefined;
		ws.onopen = null;
		ws.onmessage = null;
		ws.onclose = null;
		if (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN) ws.close(1000);
		for (const listener of closeListeners) listener({ code: 1000, reason: 'closed by client' });
	}

	return {
		connect(next) {
			wanted = true;
			if (socket !== undefined && next === url) return;
			drop();
			url = next;
			attempt = 0;
			open();
		},
		close() {
			wanted = false;
			drop();
		},
		send(frame) {
			if (socket !== undefined && socket.readyState === socket.OPEN) socket.send(frame);
		},
		onOpen(listener) {
			openListeners.push(listener);
		},
		onClose(listener) {
			closeListeners.push(listener);
		},
		onMessage(listener) {
			messageListeners.push(listener);
		},
	};
}
