import type { SocketClient } from '@socketdb/core';
import type { InProcessServer } from '@socketdb/core/in-process';

type InProcessClient = ReturnType<typeof import('./in-process-link').createInProcessClient>;

/**
 * A transport without a network, for an application's tests (SocketDB's name): the client
 * connects to the in-process server (`mockSocketServer()` of `@socketdb/server`) listening at the
 * port of the URL it is given, or to `server` whatever the URL. It reconnects on its own like the
 * WebSocket client; `disconnect()` drops the connection as a network would, `reconnect()` comes
 * back at once.
 *
 * @example
 * const { socketClient, disconnect } = mockSocketClient();
 * const db = SocketDBClient({ socketClient });
 * db.connect('ws://localhost:8080'); // where a server with mockSocketServer() listens
 */
export function mockSocketClient(options: { server?: InProcessServer } = {}) {
	// The link is a module of its own, loaded on first use: pages that never use it do not carry it.
	let link: InProcessClient | undefined;
	const waiting: ((link: InProcessClient) => void)[] = [];
	const withLink = (use: (link: InProcessClient) => void) => (link === undefined ? waiting.push(use) : use(link));
	void import('./in-process-link').then(({ createInProcessClient, inProcessServers, portOf }) => {
		link = createInProcessClient((url) => options.server ?? inProcessServers().get(portOf(url) ?? -1));
		for (const use of waiting.splice(0)) use(link);
	});
	const socketClient: SocketClient = {
		connect: (url) => withLink((link) => link.socketClient.connect(url)),
		close: () => withLink((link) => link.socketClient.close()),
		// Frames sent before the link is open are dropped, as by any transport that is not connected.
		send: (frame) => link?.socketClient.send(frame),
		onOpen: (listener) => withLink((link) => link.socketClient.onOpen(listener)),
		onClose: (listener) => withLink((link) => link.socketClient.onClose(listener)),
		onMessage: (listener) => withLink((link) => link.socketClient.onMessage(listener)),
	};
	return { socketClient, disconnect: () => withLink((link) => link.disconnect()), reconnect: () => withLink((link) => link.reconnect()) };
}
