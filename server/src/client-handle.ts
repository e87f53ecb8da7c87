import type { GoodbyeMessage, SocketConnection } from '@socketdb/core';
import type { Client, SessionContext } from './types';

/** The parts of a connection its `Client` shows. */
export interface HandleSource {
	readonly id: string;
	readonly context: SessionContext;
	readonly version: string | undefined;
	readonly route: string | undefined;
	readonly ip: string | undefined;
	readonly connectedAt: number;
	readonly subscriptionCount: number;
	goodbye(goodbye: GoodbyeMessage): void;
	sendMessage(data: unknown): void;
}

/**
 * The `Client` of a connection, as hooks, `getClient` and `broadcast` filters see it. `close`
 * and `send` are closures (SocketDB users destructure them); `version`, `route`, `ip` and
 * `subscriptions` read the connection, so they stay current.
 */
export function createClientHandle(source: HandleSource): Client {
	return {
		id: source.id,
		context: source.context,
		close: (goodbye?: GoodbyeMessage) => source.goodbye(goodbye ?? { reason: 'unspecified' }),
		send: (data: unknown) => source.sendMessage(data),
		get version() {
			return source.version;
		},
		get route() {
			return source.route;
		},
		get ip() {
			return source.ip;
		},
		connectedAt: source.connectedAt,
		get subscriptions() {
			return source.subscriptionCount;
		},
	};
}

/**
 * The client's IP address: the first `X-Forwarded-For` hop when the server trusts a proxy in
 * front of it and there is one, the socket's peer otherwise. IPv4 addresses arriving on an IPv6
 * socket lose their `::ffff:` prefix.
 */
export function clientIp(socket: SocketConnection, trustProxy: boolean): string | undefined {
	const forwarded = trustProxy ? socket.forwardedFor?.split(',')[0]?.trim() : undefined;
	const address = forwarded !== undefined && forwarded !== '' ? forwarded : socket.remoteAddress;
	return address?.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
