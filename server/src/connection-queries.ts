import { describeQuery, MessageType, parseQuery, SocketDBError, assertPath, toSocketDBError, type ClientMessage, type QuerySpec } from '@socketdb/core';
import { afterWrites, inOrder, type Subscribing } from './connection-subscriptions';
import type { QuerySubscription } from './query-subscriptions';
import type { ServerRuntime } from './runtime';

type QueryMessage = Extract<ClientMessage, { type: typeof MessageType.QUERY_SUBSCRIBE | typeof MessageType.QUERY_UNSUBSCRIBE }>;

/** A connection as its queries see it. */
export interface Querying extends Subscribing {
	/** Its live queries by the client's number; undefined until it makes one. */
	queries: Map<number, QuerySubscription> | undefined;
}

/**
 * A query request: counted against the subscription limit, put to the `server:subscribe` hook
 * (which may refuse it, or return a narrower query), then registered once the client's earlier
 * writes are done and answered with the window (QUERY_RESULT).
 */
export function handleQuery(connection: Querying, message: QueryMessage, runtime: ServerRuntime): void {
	if (message.type === MessageType.QUERY_UNSUBSCRIBE) {
		// Behind earlier requests, so that an unsubscribe never overtakes the subscribe it undoes.
		const drop = () => dropQuery(connection, message.id, runtime);
		return connection.subscribing ? inOrder(connection, drop) : afterWrites(connection, drop, runtime.log !== undefined);
	}
	const { id, path } = message;
	const refuse = (error: SocketDBError) => connection.send({ type: MessageType.QUERY_RESULT, id, refused: { code: error.code, message: error.message } });
	try {
		assertPath(path, runtime.limits.maxPathLength);
	} catch (error) {
		const refusal = toSocketDBError(error, 'INVALID_PATH');
		connection.refuse(refusal);
		return refuse(refusal);
	}
	const { limits } = runtime;
	if (connection.subscriptionCount >= limits.maxSubscriptionsPerConnection && connection.queries?.has(id) !== true) {
		const error = new SocketDBError('TOO_MANY_SUBSCRIPTIONS', `a connection may hold at most ${limits.maxSubscriptionsPerConnection} subscriptions; the query on "${path}" was not made`);
		connection.refuse(error);
		return refuse(error);
	}
	const apply = (query: QuerySpec) =>
		afterWrites(connection, () => {
			if (connection.state !== 'open') return;
			dropQuery(connection, id, runtime);
			const { subscription, result } = runtime.queries.subscribe(connection, id, path, query, message.keys === true, runtime.writePath.revision);
			(connection.queries ??= new Map()).set(id, subscription);
			runtime.counts.countQuery(describeQuery(path, query), 1);
			connection.send(result);
		}, runtime.log !== undefined);
	const { hooks, api } = runtime;
	if (!hooks.has('server:subscribe')) {
		if (connection.subscribing) inOrder(connection, () => apply(message.query));
		else apply(message.query);
		return;
	}
	inOrder(connection, () =>
		hooks.call('server:subscribe', { path, keys: message.keys === true, query: message.query }, { client: connection.client, api }).then(
			(args) => {
				let query: QuerySpec;
				try {
					// A hook may narrow the query (a lower limit, say); what it returns is checked like the client's.
					query = parseQuery(args.query ?? message.query);
				} catch (error) {
					const refusal = toSocketDBError(error, 'INVALID_QUERY');
					runtime.report(refusal, { hook: 'server:subscribe', client: connection.client });
					if (connection.state === 'open') refuse(refusal);
					return;
				}
				apply(query);
			},
			(thrown: unknown) => {
				const error = toSocketDBError(thrown, 'FORBIDDEN');
				runtime.report(error, { hook: 'server:subscribe', client: connection.client });
				if (connection.state === 'open') refuse(new SocketDBError(error.code, `the query on "${path}" was refused: ${error.message}`));
			},
		),
	);
}

function dropQuery(connection: Querying, id: number, runtime: ServerRuntime): void {
	const subscription = connection.queries?.get(id);
	if (subscription === undefined) return;
	connection.queries!.delete(id);
	forget(subscription, runtime);
}

function forget(subscription: QuerySubscription, runtime: ServerRuntime): void {
	runtime.queries.unsubscribe(subscription);
	runtime.counts.countQuery(describeQuery(subscription.path, subscription.spec), -1);
}

/** Drops every query of a closed connection. */
export function dropQueries(connection: Querying, runtime: ServerRuntime): void {
	const queries = connection.queries;
	if (queries === undefined) return;
	for (const subscription of queries.values()) forget(subscription, runtime);
	connection.queries = undefined;
}

/** Sends the whole window of each query whose changes a congested connection missed. */
export function resendStaleQueries(connection: Querying, stale: ReadonlySet<string>, runtime: ServerRuntime): void {
	for (const id of stale) {
		const subscription = connection.queries?.get(Number(id));
		if (subscription !== undefined) connection.send(runtime.queries.result(subscription, runtime.writePath.revision));
	}
}
