import {
	concatBytes,
	decodeFrame,
	DEFAULT_MAX_FRAME_BYTES,
	encodeClientMessage,
	MessageType,
	parseServerMessage,
	PROTOCOL_VERSION,
	type ClientInfo,
	type ClientMessage,
	type ServerMessage,
	type SocketClient,
} from '@socketdb/core';
import type { ConnectionState } from './types';

/** Frames sent at once within one window before further messages wait for the window's end. */
export const FRAMES_PER_WINDOW = 2;
export const PACE_WINDOW_MS = 0.25;

export type SessionState = 'idle' | 'connecting' | 'handshake' | 'ready' | 'closed';

export interface SessionHandlers {
	/** The handshake completed; `first` is true for the first connection of this client. */
	ready(first: boolean): void;
	message(message: ServerMessage): void;
	/** A connection that had completed its handshake (or was in it) closed. */
	lost(): void;
	/** The server sent something that is not valid protocol. */
	malformed(error: Error): void;
	/** `connectionState` may have changed; called after the handlers of the same event. */
	stateChanged?(): void;
}

/**
 * The protocol conversation over one transport: hello and welcome on every
 * connection, then messages in both directions, collected into one frame per tick.
 */
export class ClientSession {
	state: SessionState = 'idle';
	/** This client's identity for the server's write deduplication; stable across reconnects (and, with persistence, page loads). */
	id = randomId();
	/** The largest frame the server accepts (told in its welcome). */
	maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
	/** The id of the database the server serves (told in its welcome): revisions count in it. */
	database: string | undefined;
	/** The server lets writes that wait combine (told in its welcome; see `Outbox.allowCombining`). */
	combine = false;
	#outgoing: Uint8Array[] = [];
	#flushScheduled = false;
	/** When the last FRAMES_PER_WINDOW frames were sent (a ring; `sendIndex` is the oldest). */
	readonly #recentSends: number[] = new Array<number>(FRAMES_PER_WINDOW).fill(-Infinity);
	#sendIndex = 0;
	#everReady = false;
	/** A connection that had completed its handshake was lost since the last `connect()`. */
	#reconnecting = false;

	readonly #transport: SocketClient;
	readonly #handlers: SessionHandlers;
	readonly #hello: () => { acked: number; info: ClientInfo };

	constructor(
		transport: SocketClient,
		handlers: SessionHandlers,
		hello: () => { acked: number; info: ClientInfo },
	) {
		this.#transport = transport;
		this.#handlers = handlers;
		this.#hello = hello;
		transport.onOpen(() => this.#opened());
		transport.onClose(() => this.#closed());
		transport.onMessage((frame) => this.#receive(frame));
	}

	/**
	 * What the application sees (`onConnectionState`): 'connected' once the handshake completed;
	 * 'connecting' from `connect()` until then, and during the handshake of a reconnect;
	 * 'disconnected' before `connect()`, after `disconnect()`, and from the loss of a connection
	 * until the transport opens a new one.
	 */
	get connectionState(): ConnectionState {
		switch (this.state) {
			case 'ready':
				return 'connected';
			case 'handshake':
				return 'connecting';
			case 'connecting':
				return this.#reconnecting ? 'disconnected' : 'connecting';
			default:
				return 'disconnected';
		}
	}

	connect(url: string): void {
		if (this.state === 'idle' || this.state === 'closed') this.state = 'connecting';
		this.#reconnecting = false;
		this.#transport.connect(url);
		this.#handlers.stateChanged?.();
	}

	disconnect(): void {
		const wasConnected = this.state === 'ready' || this.state === 'handshake';
		this.state = 'closed';
		this.#reconnecting = false;
		this.#outgoing = [];
		this.#transport.close();
		if (wasConnected) this.#handlers.lost();
		this.#handlers.stateChanged?.();
	}

	/** Queues a message for the current connection; dropped unless the handshake completed. */
	send(message: ClientMessage): void {
		this.sendEncoded(encodeClientMessage(message));
	}

	/** Queues an encoded message; frames are cut so none exceeds the server's limit. */
	sendEncoded(message: Uint8Array): void {
		if (this.state !== 'ready') return;
		this.#outgoing.push(message);
		if (this.#flushScheduled) return;
		this.#flushScheduled = true;
		const run = () => {
			this.#flushScheduled = false;
			this.#flush();
		};
		// Up to FRAMES_PER_WINDOW frames go out at once per window; a client sending faster has its
		// messages gathered until the window ends, so a burst of writes costs a few socket writes
		// rather than one each. Writes at a human pace never wait.
		const wait = this.#recentSends[this.#sendIndex]! + PACE_WINDOW_MS - performance.now();
		if (wait <= 0) queueMicrotask(run);
		else setTimeout(run, wait);
	}

	#flush(): void {
		if (this.#outgoing.length === 0 || this.state !== 'ready') return;
		this.#recentSends[this.#sendIndex] = performance.now();
		this.#sendIndex = (this.#sendIndex + 1) % FRAMES_PER_WINDOW;
		const messages = this.#outgoing;
		this.#outgoing = [];
		let frame: Uint8Array[] = [];
		let size = 0;
		for (const message of messages) {
			if (size + message.byteLength > this.maxFrameBytes && frame.length > 0) {
				this.#transport.send(concatBytes(frame));
				frame = [];
				size = 0;
			}
			frame.push(message);
			size += message.byteLength;
		}
		this.#transport.send(concatBytes(frame));
	}

	#opened(): void {
		if (this.state === 'closed') return;
		this.state = 'handshake';
		const { acked, info } = this.#hello();
		this.#transport.send(encodeClientMessage({ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session: this.id, acked, info }));
		this.#handlers.stateChanged?.();
	}

	#closed(): void {
		const wasConnected = this.state === 'ready' || this.state === 'handshake';
		if (this.state === 'ready') this.#reconnecting = true;
		this.#outgoing = [];
		if (this.state !== 'closed') this.state = 'connecting';
		if (wasConnected) this.#handlers.lost();
		this.#handlers.stateChanged?.();
	}

	#receive(frame: Uint8Array): void {
		let messages: ServerMessage[];
		try {
			messages = decodeFrame(frame).map(parseServerMessage);
		} catch (error) {
			return this.#handlers.malformed(error as Error);
		}
		for (const message of messages) {
			if (message.type === MessageType.WELCOME) {
				if (this.state !== 'handshake') continue;
				this.maxFrameBytes = message.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
				this.database = message.db;
				this.combine = message.combine === true;
				this.state = 'ready';
				this.#reconnecting = false;
				const first = !this.#everReady;
				this.#everReady = true;
				this.#handlers.ready(first);
				this.#handlers.stateChanged?.();
			} else {
				this.#handlers.message(message);
			}
		}
	}
}

function randomId(): string {
	const bytes = new Uint8Array(16);
	globalThis.crypto.getRandomValues(bytes);
	let id = '';
	for (const byte of bytes) id += byte.toString(16).padStart(2, '0');
	return id;
}
