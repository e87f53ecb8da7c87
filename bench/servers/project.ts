// The database under test: SocketDBServer on 127.0.0.1, driven by the bench runner over IPC.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebsocketServer, SocketDBServer } from '@socketdb/server';
import { createLmdbStore } from '@socketdb/store-lmdb';
import { serveRequests } from '../lib/ipc';
import { settledSample, startPeakTracking, trackServer } from '../lib/server-metrics';

const updateInterval = Number(process.env['UPDATE_INTERVAL'] ?? 50);
// DATA_DIR=path runs the server on the durable LMDB store, as `socketdb serve` does.
const dataDirectory = process.env['DATA_DIR'];
const store = dataDirectory === undefined ? undefined : createLmdbStore({ path: dataDirectory });
const http = createServer();
const sample = trackServer(http);
let stopPeak: Awaited<ReturnType<typeof startPeakTracking>> | undefined;
const server = SocketDBServer({
	...(store === undefined ? {} : { store }),
	updateInterval,
	socketServer: createWebsocketServer({ server: http }),
	onError: (error) => console.error(`[bench server] ${error.message}`),
});

http.listen(0, '127.0.0.1', () => {
	server.listen();
	serveRequests({
		address: () => `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
		sample: () => sample(),
		settledSample: () => settledSample(sample),
		startPeak: async () => {
			stopPeak = await startPeakTracking();
			return true;
		},
		stopPeak: () => stopPeak?.(),
		stop: async () => {
			await server.close();
			await store?.close();
			setImmediate(() => process.exit(0));
		},
	});
	process.send!({ ready: true });
});
