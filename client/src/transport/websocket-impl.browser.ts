/** In browsers the client uses the built-in `WebSocket`. */
export const WebSocketImpl = globalThis.WebSocket;
