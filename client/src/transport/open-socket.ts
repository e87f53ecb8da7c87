/** What the transport needs from a platform's WebSocket (see the `#websocket-impl` import). */
export type SocketEvents = {
	open: () => void;
	message: (frame: Uint8Array) => void;
	close: (code: number, reason: string) => void;
};

/** An open (or opening) socket: sends are dropped unless it is open; `close` silences its events. */
export type OpenSocket = {
	send: (frame: Uint8Array) => void;
	close: (code: number) => void;
};
