import type { CloseInfo, SocketClient } from '@socketdb/core';
import { openSocket } from '#websocket-impl';
import type { OpenSocket } from './open-socket';

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
 * How long a connection must stay open before it counts as healthy and the backoff starts over.
 * A server that accepts the socket and then says goodbye at once (it is full, or the client is
 * refused) must not be hammered: until then the delays keep growing.
 */
const HEALTHY_AFTER_MS = 5_000;

/**
 * The default transport: a WebSocket that reconnects on its own, with exponential
 * backoff and jitter, until `close()`. The backoff starts over only once a connection stayed
 * open for a while, and a server's goodbye may ask it to wait longer (`holdOff`).
 *
 * @example const db = SocketDBClient({ socketClient: createWebsocketClient({ reconnectTimeout: 2000 }) });
 */
export function createWebsocketClient({ protocols, reconnectTimeout = 5_000 }: WebsocketClientOptions = {}): SocketClient {
	const openListeners: (() => void)[] = [];
	const closeListeners: ((info: CloseInfo) => void)[] = [];
	const messageListeners: ((frame: Uint8Array) => void)[] = [];
	let socket: OpenSocket | undefined;
	let open = false;
	let url: string | undefined;
	let wanted = false;
	let attempt = 0;
	let retryTimer: ReturnType<typeof setTimeout> | undefined;
	let healthyTimer: ReturnType<typeof setTimeout> | undefined;
	/** The earliest time the next attempt may start (a server's goodbye may ask to wait). */
	let notBefore = 0;

	function start(): void {
		if (url === undefined) return;
		const ws: OpenSocket = openSocket(url, protocols, {
			open() {
				if (socket !== ws) return;
				open = true;
				healthyTimer = setTimeout(() => (attempt = 0), HEALTHY_AFTER_MS);
				for (const listener of openListeners) listener();
			},
			message(frame) {
				if (socket !== ws) return;
				for (const listener of messageListeners) listener(frame);
			},
			close(code, reason) {
				if (socket !== ws) return;
				socket = undefined;
				open = false;
				clearTimeout(healthyTimer);
				for (const listener of closeListeners) listener({ code, reason });
				if (wanted) scheduleRetry();
			},
		});
		socket = ws;
	}

	function scheduleRetry(): void {
		const ceiling = Math.min(reconnectTimeout, FIRST_RETRY_MS * 2 ** attempt);
		attempt++;
		const delay = Math.max(ceiling / 2 + Math.random() * (ceiling / 2), notBefore - Date.now());
		retryTimer = setTimeout(() => {
			retryTimer = undefined;
			if (wanted && socket === undefined) start();
		}, delay);
	}

	function drop(): void {
		clearTimeout(retryTimer);
		clearTimeout(healthyTimer);
		retryTimer = undefined;
		const ws = socket;
		if (ws === undefined) return;
		socket = undefined;
		open = false;
		ws.close(1000);
		for (const listener of closeListeners) listener({ code: 1000, reason: 'closed by client' });
	}

	return {
		connect(next) {
			wanted = true;
			if (socket !== undefined && next === url) return;
			drop();
			url = next;
			attempt = 0;
			start();
		},
		close() {
			wanted = false;
			drop();
		},
		send(frame) {
			if (open) socket?.send(frame);
		},
		holdOff(ms) {
			// Jitter on top, so that clients a full server turned away do not all come back at once.
			notBefore = Math.max(notBefore, Date.now() + ms + Math.random() * FIRST_RETRY_MS * 2);
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
