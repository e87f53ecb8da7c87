// The raw-ws baseline: a minimal pub/sub. A client subscribes to exact paths; every set is
// JSON-encoded once and that string is sent to every subscriber of that exact path.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveRequests } from '../lib/ipc';
import { settledSample, trackServer } from '../lib/server-metrics';

const http = createServer();
const sample = trackServer(http);
const wss = new WebSocketServer({ server: http });
const subscribers = new Map<string, Set<WebSocket>>();

wss.on('connection', (socket) => {
	const paths = new Set<string>();
	socket.on('message', (data) => {
		const message = JSON.parse(data.toString()) as { t: 'sub'; path: string } | { t: 'set'; path: string; value: unknown };
		if (message.t === 'sub') {
			paths.add(message.path);
			let set = subscribers.get(message.path);
			if (set === undefined) subscribers.set(message.path, (set = new Set()));
			set.add(socket);
			socket.send(JSON.stringify({ path: message.path, value: null }));
			return;
		}
		const set = subscribers.get(message.path);
		if (set === undefined) return;
		const text = JSON.stringify({ path: message.path, value: message.value });
		for (const subscriber of set) subscriber.send(text);
	});
	socket.on('close', () => {
		for (const path of paths) subscribers.get(path)?.delete(socket);
	});
});

http.listen(0, '127.0.0.1', () => {
	serveRequests({
		address: () => `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
		sample: () => sample(),
		settledSample: () => settledSample(sample),
		stop: () => {
			for (const client of wss.clients) client.terminate();
			setImmediate(() => process.exit(0));
		},
	});
	process.send!({ ready: true });
});
