import { assertPath, assertRootObject, isObject, SocketDBError, toError, toSocketDBError, type Node, type NodeDiff, type Store } from '@socketdb/core';
import { callHook, reportedClient, type HookHost, type HookSubject } from './call-hook';
import type { FanOut } from './fanout';
import type { ServerHooks } from './types';

/** The writer of changes the server makes itself: hooks see a `client` whose every field is `null`. */
export const SERVER: HookSubject = Object.freeze({ client: Object.freeze({ id: null, context: null, close: null }) });

/**
 * One write, end to end on the server: the hooks, the store, then the change
 * going out to subscribers and to `server:change`.
 *
 * `update` and `delete` return synchronously when no hook is registered, so the
 * common case costs no promise; otherwise they return a promise. Either way a
 * refused write throws (or rejects with) a `SocketDBError`.
 */
export class WritePath {
	/** The revision of the last change applied: one sequence for the database, kept with the store's data where the store keeps it. */
	revision: number;
	private durableWaiters: ((error?: SocketDBError) => void)[] | undefined;

	constructor(
		private readonly store: Store,
		private readonly fanout: FanOut,
		private readonly host: HookHost,
	) {
		this.revision = store.position?.()?.revision ?? 0;
	}

	update(data: NodeDiff, writer: HookSubject): void | Promise<void> {
		const { hooks } = this.host;
		if (!hooks.has('server:update')) return this.commitUpdate(data, writer);
		return hooks.call('server:update', { data: data as Node }, { client: writer.client, api: this.host.api }).then(
			(result) => this.commitUpdate(result?.data ?? data, writer),
			(thrown: unknown) => {
				throw this.refusal(thrown, 'server:update', writer);
			},
		);
	}

	delete(path: string, writer: HookSubject): void | Promise<void> {
		const { hooks } = this.host;
		if (!hooks.has('server:delete')) return this.commitDelete(path, writer);
		return hooks.call('server:delete', { path }, { client: writer.client, api: this.host.api }).then(
			(result) => this.commitDelete(result?.path ?? path, writer),
			(thrown: unknown) => {
				throw this.refusal(thrown, 'server:delete', writer);
			},
		);
	}

	/**
	 * Calls `done` once everything written so far is durable (at once for in-memory stores).
	 * The writes of one task share one flush of the store.
	 */
	afterDurable(done: (error?: SocketDBError) => void): void {
		if (this.store.flush === undefined) return done();
		if (this.durableWaiters !== undefined) {
			this.durableWaiters.push(done);
			return;
		}
		const waiters = (this.durableWaiters = [done]);
		queueMicrotask(() => {
			this.durableWaiters = undefined;
			this.store.flush!().then(
				() => {
					for (const waiter of waiters) waiter();
				},
				(error: unknown) => {
					this.host.report(toError(error), {});
					const failure = new SocketDBError('INTERNAL_ERROR', 'the store could not make the write durable');
					for (const waiter of waiters) waiter(failure);
				},
			);
		});
	}

	private commitUpdate(data: NodeDiff, writer: HookSubject): void {
		// A `server:update` hook may have returned anything.
		assertRootObject(data);
		if (data.value !== undefined) assertRootObject(data.value);
		let applied: NodeDiff;
		const probe = this.fanout.probeKeys(data, this.store);
		try {
			applied = this.store.put(data as Node);
		} catch (error) {
			throw this.storeFailure(error, writer, 'the store failed to apply the write');
		}
		if (!hasChange(applied)) return;
		const revision = this.advance();
		this.fanout.publishChange(applied, probe, revision);
		this.emitChange({ revision, data: applied as Node }, writer);
	}

	private commitDelete(path: string, writer: HookSubject): void {
		// Checked again: a `server:delete` hook may have returned another path.
		assertPath(path);
		try {
			this.store.del(path);
		} catch (error) {
			throw this.storeFailure(error, writer, 'the store failed to apply the delete');
		}
		const revision = this.advance();
		this.fanout.publishDelete(path, revision);
		this.emitChange({ revision, deleted: path }, writer);
	}

	/** The next revision, recorded with the store's data. */
	private advance(): number {
		const revision = ++this.revision;
		this.store.setPosition?.({ revision });
		return revision;
	}

	private emitChange(change: { revision: number; data?: Node; deleted?: string }, writer: HookSubject): void {
		callHook(this.host, 'server:change', change, writer);
	}

	/** A store's own refusal (a `SocketDBError`) reaches the writer as it is; anything else is an internal error. */
	private storeFailure(error: unknown, writer: HookSubject, message: string): SocketDBError {
		this.host.report(toError(error), { client: reportedClient(writer.client) });
		return error instanceof SocketDBError ? error : new SocketDBError('INTERNAL_ERROR', message);
	}

	private refusal(thrown: unknown, hook: keyof ServerHooks, writer: HookSubject): SocketDBError {
		const error = toSocketDBError(thrown);
		this.host.report(error, { hook, client: reportedClient(writer.client) });
		return error;
	}
}

function hasChange(diff: NodeDiff): boolean {
	if (diff.meta !== undefined) return true;
	const value = diff.value;
	if (!isObject(value)) return value !== undefined;
	for (const _ in value) return true;
	return false;
}

