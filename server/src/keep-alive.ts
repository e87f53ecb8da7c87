import { MessageType, toSocketDBError, validateJson, type ServerMessage, type SocketConnection, type SocketDBError } from '@socketdb/core';
import { callHook } from './call-hook';
import type { ServerRuntime } from './runtime';
import type { Client } from './types';

/**
 * One timer for every connection's keep-alive (not one per client): each tick
 * closes clients that did not answer the previous ping and pings the rest.
 */
export class KeepAliveTimer {
	private readonly timer: ReturnType<typeof setInterval>;

	constructor(interval: number, check: () => void) {
		this.timer = setInterval(check, interval);
		this.timer.unref?.();
	}

	stop(): void {
		clearInterval(this.timer);
	}
}

/** A connection as keep-alive sees it. */
export interface KeptAlive {
	readonly state: string;
	readonly client: Client;
	readonly socket: SocketConnection;
	/** False between a ping and the client's answer. */
	alive: boolean;
	send(message: ServerMessage): void;
	goodbye(goodbye: { reason: 'keep-alive-check-failed' }): void;
	refuse(error: SocketDBError): void;
}

/**
 * One keep-alive round for a connection: close it if it never answered the last ping,
 * otherwise ping it with what the `'server:keepAliveCheck'` hooks return (a throw says goodbye).
 */
export function keepAliveRound(connection: KeptAlive, runtime: ServerRuntime): void {
	if (connection.state !== 'open') return;
	if (!connection.alive) {
		connection.socket.close(1001, 'keep-alive timeout');
		return;
	}
	connection.alive = false;
	const ping = (payload: Record<string, unknown> | undefined) => connection.send({ type: MessageType.PING, payload: payload ?? {} });
	callHook(runtime, 'server:keepAliveCheck', {}, connection, ping, () => connection.goodbye({ reason: 'keep-alive-check-failed' }));
}

/** The client answered a ping: alive again, unless a `'server:heartbeat'` hook throws. */
export function answeredPing(connection: KeptAlive, payload: Record<string, unknown>, runtime: ServerRuntime): void {
	const { limits } = runtime;
	try {
		validateJson(payload, { maxDepth: limits.maxDepth, maxKeys: limits.maxKeysPerWrite });
	} catch (error) {
		return connection.refuse(toSocketDBError(error, 'INVALID_VALUE'));
	}
	callHook(runtime, 'server:heartbeat', payload, connection, () => {
		connection.alive = true;
	});
}
