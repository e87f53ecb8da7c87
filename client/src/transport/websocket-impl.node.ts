import WebSocket from 'ws';

/** In Node the client uses `ws`, so it needs no global `WebSocket` (Node 20 has none). */
export const WebSocketImpl = WebSocket as unknown as typeof globalThis.WebSocket;

/** `ws` hands binary messages over as Buffers (Uint8Arrays) without copying. */
export const BINARY_TYPE = 'nodebuffer' as BinaryType;
