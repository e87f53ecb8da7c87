import type { ServerResponse } from 'node:http';

/**
 * Answers a plain HTTP request to a WebSocket endpoint: `426 Upgrade Required`, with a line that
 * says what the server is. The default transport's own HTTP server answers every request so; an
 * HTTP server of your own can answer its unrouted requests the same way.
 *
 * @example
 * const http = createServer((req, res) => (req.url === '/health' ? res.end('ok') : answerUpgradeRequired(res)));
 */
export function answerUpgradeRequired(res: ServerResponse): void {
	res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket' });
	res.end('This is a SocketDB server: connect with a WebSocket client.\n');
}
