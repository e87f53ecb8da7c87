import { assertPath, MessageType, SocketDBError, storeKeys, toSocketDBError, type ClientMessage, type ServerMessage } from '@socketdb/core';
import { resumeValue, startSnapshot, type SnapshotHost } from './connection-snapshots';
import type { StalePaths } from './connection-sender';
import type { Subscriber } from './fanout';
import type { ServerRuntime } from './runtime';
import { smallSetAdd, smallSetDelete, smallSetHas, smallSetMembers, type SmallSet } from './small-set';
import type { WriteSession } from './write-sessions';

type SubscriptionMessage = Extract<ClientMessage, { type: typeof MessageType.SUBSCRIBE | typeof MessageType.UNSUBSCRIBE | typeof MessageType.SUBSCRIBE_KEYS | typeof MessageType.UNSUBSCRIBE_KEYS }>;

/** A connection as its subscriptions see it. */
export interface Subscribing extends Subscriber, SnapshotHost {
	/** The paths it watches, by kind. */
	valuePaths: SmallSet;
	keysPaths: SmallSet;
	/** Its write session, once it wrote: subscription steps queue behind its writes. */
	readonly session: WriteSession | undefined;
	readonly extras: SnapshotHost['extras'] & { subscriptionsInFlight: Promise<unknown> | undefined };
	/** Whether a `server:subscribe` hook is still deciding, read without making the rarely used state. */
	readonly subscribing: boolean;
	/** How many subscriptions it holds: values, keys and live queries. */
	readonly subscriptionCount: number;
	refuse(error: SocketDBError, answer?: ServerMessage): void;
}

/**
 * A subscription request: checked, then (behind a `server:subscribe` hook that may refuse it)
 * registered in the fan-out once the client's earlier writes are done, and answered with the
 * path's value or keys.
 */
export function handleSubscription(connection: Subscribing, message: SubscriptionMessage, runtime: ServerRuntime): void {
	const { limits } = runtime;
	try {
		assertPath(message.path, limits.maxPathLength);
	} catch (error) {
		return connection.refuse(toSocketDBError(error, 'INVALID_PATH'));
	}
	const { path } = message;
	const adding = message.type === MessageType.SUBSCRIBE || message.type === MessageType.SUBSCRIBE_KEYS;
	if (adding && connection.subscriptionCount >= limits.maxSubscriptionsPerConnection && !smallSetHas(connection.valuePaths, path) && !smallSetHas(connection.keysPaths, path)) {
		return connection.refuse(new SocketDBError('TOO_MANY_SUBSCRIPTIONS', `a connection may hold at most ${limits.maxSubscriptionsPerConnection} subscriptions; "${path}" was not subscribed`));
	}
	// Subscriptions queue behind this client's writes, so a client always reads its own writes.
	const apply = () => afterWrites(connection, () => {
		if (connection.state !== 'open') return;
		const { fanout, store } = runtime;
		switch (message.type) {
			case MessageType.SUBSCRIBE: {
				// Registered first: every change after this reaches the client, whenever its slice is read.
				const id = fanout.subscribeValue(connection, path);
				connection.valuePaths = smallSetAdd(connection.valuePaths, path);
				// A client that holds the value at some revision gets only what changed since, when the history has it.
				if (message.since !== undefined && resumeValue(connection, runtime, path, id, message.since)) return;
				return startSnapshot(connection, runtime, path, id);
			}
			case MessageType.UNSUBSCRIBE:
				return dropValue(connection, path, runtime);
			case MessageType.SUBSCRIBE_KEYS: {
				fanout.subscribeKeys(connection, path);
				connection.keysPaths = smallSetAdd(connection.keysPaths, path);
				return connection.send({ type: MessageType.KEYS_SNAPSHOT, path, keys: storeKeys(store, path) });
			}
			case MessageType.UNSUBSCRIBE_KEYS:
				fanout.unsubscribeKeys(connection, path);
				connection.keysPaths = smallSetDelete(connection.keysPaths, path);
				return;
		}
	}, runtime.log !== undefined);
	// A client back from a process further along waits (briefly) for this one to catch up, so that its values never go back.
	const behind = message.type === MessageType.SUBSCRIBE && message.since !== undefined ? runtime.writePath.whenRevision(message.since, CATCH_UP_MS) : undefined;
	const go = behind === undefined ? apply : () => behind.then(apply);
	const { hooks, api } = runtime;
	if (adding && hooks.has('server:subscribe')) {
		const keys = message.type === MessageType.SUBSCRIBE_KEYS;
		return inOrder(connection, () =>
			hooks.call('server:subscribe', { path, keys }, { client: connection.client, api }).then(go, (thrown: unknown) => {
				const error = toSocketDBError(thrown, 'FORBIDDEN');
				runtime.report(error, { hook: 'server:subscribe', client: connection.client });
				if (connection.state === 'open') connection.send({ type: MessageType.ERROR, code: error.code, message: `subscribing to "${path}" was refused: ${error.message}`, path });
			}),
		);
	}
	if (connection.subscribing || behind !== undefined) inOrder(connection, go);
	else go();
}

/** Drops the value subscription at `path`, and its snapshot stream if one is running. */
export function dropValue(connection: Subscribing, path: string, runtime: ServerRuntime): void {
	connection.streams?.stop(path);
	runtime.fanout.unsubscribeValue(connection, path);
	connection.valuePaths = smallSetDelete(connection.valuePaths, path);
}

/** Drops every subscription of a closed connection. */
export function dropSubscriptions(connection: Subscribing, runtime: ServerRuntime): void {
	connection.streams?.stopAll();
	const { fanout } = runtime;
	for (const path of smallSetMembers(connection.valuePaths)) fanout.unsubscribeValue(connection, path);
	for (const path of smallSetMembers(connection.keysPaths)) fanout.unsubscribeKeys(connection, path);
	connection.valuePaths = undefined;
	connection.keysPaths = undefined;
}

/** Sends the latest state of the paths a congested connection missed updates of, if it still watches them. */
export function resendStale(connection: Subscribing, stale: StalePaths, runtime: ServerRuntime): void {
	const { fanout, store } = runtime;
	for (const path of stale.value) {
		const id = fanout.idOf(path);
		if (id !== undefined && smallSetHas(connection.valuePaths, path)) startSnapshot(connection, runtime, path, id);
	}
	for (const path of stale.keys) {
		if (smallSetHas(connection.keysPaths, path)) connection.send({ type: MessageType.KEYS_SNAPSHOT, path, keys: storeKeys(store, path) });
	}
}

/** How long a resubscription waits for this process to reach the revision its client holds (ms). */
const CATCH_UP_MS = 1_000;

/** Runs subscription steps one after the other while a `server:subscribe` hook is deciding one. */
export function inOrder(connection: Subscribing, step: () => unknown): void {
	const more = connection.extras;
	const link = (more.subscriptionsInFlight ?? Promise.resolve()).then(step);
	more.subscriptionsInFlight = link;
	void link.then(() => {
		if (more.subscriptionsInFlight === link) more.subscriptionsInFlight = undefined;
	});
}

/**
 * Runs `task` once this client's writes received so far are done (at once when there are none).
 * With a shared log a client's writes leave its queue once they are queued for the log, before
 * they are applied: the read waits for them to settle too.
 */
export function afterWrites(connection: Subscribing, task: () => void, logged: boolean): void {
	const { session } = connection;
	if (session === undefined) return task();
	// The writes received before this read, not those after it: they queue behind it.
	const through = session.lastSeq;
	session.queue.run(() => {
		const writes = logged ? session.whenSettled(through) : undefined;
		return writes === undefined ? task() : writes.then(task);
	});
}
