import { MessageType, SocketDBError, toSocketDBError, type ServerMessage } from '@socketdb/core';
import { callHook } from './call-hook';
import type { Counted } from './connection-stats';
import type { ServerRuntime } from './runtime';
import type { Client } from './types';

/** A connection as route tracking and stats requests see it. */
export interface Tracked extends Counted {
	readonly id: string;
	readonly client: Client;
	readonly state: string;
	readonly extras: { route: string | undefined; wantsStats: boolean };
	send(message: ServerMessage): void;
	refuse(error: SocketDBError): void;
}

/** A client reported its route: counted under the new one, then `'server:routeUpdate'`. */
export function updateRoute(connection: Tracked, route: string, runtime: ServerRuntime): void {
	const { tracking, limits, counts } = runtime;
	if (!tracking.routes) return;
	if (route.length > limits.maxPathLength) return connection.refuse(new SocketDBError('INVALID_MESSAGE', `a route may be at most ${limits.maxPathLength} characters`));
	if (route === connection.route) return;
	counts.moveRoute(connection.route, route);
	connection.extras.route = route;
	callHook(runtime, 'server:routeUpdate', { id: connection.id, route }, connection);
}

/**
 * A client asked for live stats: `'server:subscribeStats'` runs, then `'server:authorizeStats'`,
 * and the client watches the counts only if some hook called `authorize()`. Otherwise it is
 * told `FORBIDDEN`.
 */
export async function requestStats(connection: Tracked, runtime: ServerRuntime): Promise<void> {
	const { hooks, api, counts } = runtime;
	const client = connection.client;
	let authorized = false;
	let refusal: SocketDBError | undefined;
	try {
		if (hooks.has('server:subscribeStats')) await hooks.call('server:subscribeStats', { id: connection.id }, { client, api });
		if (hooks.has('server:authorizeStats')) {
			await hooks.call('server:authorizeStats', { id: connection.id }, { client, api, authorize: () => void (authorized = true) });
		}
	} catch (thrown) {
		authorized = false;
		refusal = toSocketDBError(thrown, 'FORBIDDEN');
		runtime.report(refusal, { client });
	}
	if (connection.state !== 'open' || !connection.extras.wantsStats) return;
	if (authorized) return counts.watch(connection);
	connection.send({ type: MessageType.ERROR, code: refusal?.code ?? 'FORBIDDEN', message: refusal?.message ?? 'stats are not authorized for this client' });
}
