import type { CloseInfo, SocketClient } from './transport';

/**
 * Connections within one process, without a network: what `mockSocketServer` (server) and
 * `mockSocketClient` (client) are made of, for applications' tests (`@socketdb/core/in-process`:
 * an entry of its own, so that a browser page loads it only when it uses them). A server listening
 * in-process is found by its port; frames cross over in the order sent, each in a microtask,
 * as they would arrive one by one from a socket.
 */

/** The client's end of an in-process connection, as the server's end sees it. */
export interface InProcessPeer {
	/** A frame from the server. */
	receive(frame: Uint8Array): void;
	/** The server closed the connection. */
	closed(code: number, reason: string): void;
}

/** The server's end, as the client's end sees it. */
export interface InProcessEnd {
	send(frame: Uint8Array): void;
	/** The client closed the connection (or it dropped). */
	close(): void;
}

/** A server that takes in-process connections. */
export interface InProcessServer {
	accept(peer: InProcessPeer): InProcessEnd;
}

/** The in-process servers listening, by port; on `globalThis`, so that every copy of this module in a process shares it. */
export function inProcessServers(): Map<number, InProcessServer> {
	const global = globalThis as { [REGISTRY]?: Map<number, InProcessServer> };
	return (global[REGISTRY] ??= new Map());
}

const REGISTRY = Symbol.for('socketdb.in-process-servers');

/** The host's timers (core's types know no host; every one this runs on has these). */
const host = globalThis as unknown as {
	queueMicrotask(task: () => void): void;
	setTimeout(task: () => void, ms: number): unknown;
	clearTimeout(timer: unknown): void;
};

/** Calls `deliver` with each value pushed, in order, one microtask after it was pushed; nothing after `stop()`. */
export function deliveryQueue<T>(deliver: (value: T) => void): { push(value: T): void; stop(): void } {
	let stopped = false;
	return {
		push(value) {
			host.queueMicrotask(() => stopped || deliver(value));
		},
		stop() {
			stopped = true;
		},
	};
}

/** How long an in-process client waits before it connects again after a drop (ms). */
const RECONNECT_MS = 50;

/**
 * A `SocketClient` whose connections go to the in-process server `find` gives for the URL it is
 * asked to connect to (none: the attempt fails as a refused connection would, and is tried
 * again). Like the WebSocket client, it reconnects on its own until `close()`. `disconnect()`
 * drops the connection as a network would (frames on their way are lost), `reconnect()` connects
 * again at once.
 */
export function createInProcessClient(find: (url: string) => InProcessServer | undefined): { socketClient: SocketClient; disconnect(): void; reconnect(): void } {
	const openListeners: (() => void)[] = [];
	const closeListeners: ((info: CloseInfo) => void)[] = [];
	const messageListeners: ((frame: Uint8Array) => void)[] = [];
	let url: string | undefined;
	let wanted = false;
	let link: { end: InProcessEnd; incoming: ReturnType<typeof deliveryQueue<Uint8Array | CloseInfo>> } | undefined;
	let retry: unknown;

	function dial(): void {
		host.clearTimeout(retry);
		retry = undefined;
		if (!wanted || link !== undefined || url === undefined) return;
		const server = find(url);
		if (server === undefined) return lost({ code: 1006, reason: `no in-process server listens at ${url}` });
		const incoming = deliveryQueue<Uint8Array | CloseInfo>((item) => {
			if (item instanceof Uint8Array) for (const listener of messageListeners) listener(item);
			else {
				link = undefined;
				lost(item);
			}
		});
		const current = { end: server.accept({ receive: (frame) => incoming.push(frame), closed: (code, reason) => incoming.push({ code, reason }) }), incoming };
		link = current;
		for (const listener of openListeners) listener();
	}

	function lost(info: CloseInfo): void {
		for (const listener of closeListeners) listener(info);
		if (wanted) retry = host.setTimeout(dial, RECONNECT_MS);
	}

	/** Ends the current connection from this side: its frames on their way are dropped. */
	function cut(info: CloseInfo): boolean {
		const current = link;
		if (current === undefined) return false;
		link = undefined;
		current.incoming.stop();
		current.end.close();
		lost(info);
		return true;
	}

	const socketClient: SocketClient = {
		connect(next) {
			wanted = true;
			if (link !== undefined && next === url) return;
			cut({ code: 1000, reason: 'closed by client' });
			url = next;
			host.queueMicrotask(dial);
		},
		close() {
			wanted = false;
			host.clearTimeout(retry);
			cut({ code: 1000, reason: 'closed by client' });
		},
		send(frame) {
			link?.end.send(frame.slice());
		},
		onOpen: (listener) => void openListeners.push(listener),
		onClose: (listener) => void closeListeners.push(listener),
		onMessage: (listener) => void messageListeners.push(listener),
	};
	return {
		socketClient,
		disconnect: () => void cut({ code: 1006, reason: 'connection lost' }),
		reconnect: () => {
			cut({ code: 1006, reason: 'connection lost' });
			dial();
		},
	};
}

/** The port a WebSocket URL names (its scheme's default when it names none); `undefined` for what is no URL. */
export function portOf(url: string): number | undefined {
	const match = /^(\w+):\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*)(?::(\d+))?(?:[/?#]|$)/.exec(url);
	if (match === null) return undefined;
	return match[2] !== undefined ? Number(match[2]) : /^(wss|https)$/i.test(match[1]!) ? 443 : 80;
}
