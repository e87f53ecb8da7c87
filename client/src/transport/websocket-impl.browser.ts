/** In browsers the client uses the built-in `WebSocket`. */
export const WebSocketImpl = globalThis.WebSocket;

/** Browsers hand binary messages over as ArrayBuffers. */
export const BINARY_TYPE: BinaryType = 'arraybuffer';
