import { isObject, invalidPathReason, SocketDBError, toSocketDBError, type HookPipeline, type Node, type NodeDiff, type Store } from '@socketdb/core';
import type { FanOut } from './fanout';
import type { Client, ErrorSource, ServerHooks, ServerWriter, SocketDBServerDataAPI } from './types';

export type Writer = Client | ServerWriter;

/** The writer of changes the server makes itself. */
export const SERVER_WRITER: ServerWriter = Object.freeze({ id: null, context: null, close: null });

/**
 * One write, end to end on the server: the hooks, the store, then the change
 * going out to subscribers and to `server:change`.
 *
 * `update` and `delete` return synchronously when no hook is registered, so the
 * common case costs no promise; otherwise they return a promise. Either way a
 * refused write throws (or rejects with) a `SocketDBError`.
 */
export class WritePath {
	revision = 0;
	private durableWaiters: ((error?: SocketDBError) => void)[] | undefined;

	constructor(
		private readonly store: Store,
		private readonly hooks: HookPipeline<ServerHooks>,
		private readonly fanout: FanOut,
		private readonly api: SocketDBServerDataAPI,
		private readonly report: (error: Error, source: ErrorSource) => void,
	) {}

	update(data: NodeDiff, writer: Writer): void | Promise<void> {
		if (!this.hooks.has('server:update')) return this.commitUpdate(data, writer);
		return this.hooks.call('server:update', { data: data as Node }, { client: writer, api: this.api }).then(
			(result) => this.commitUpdate(result?.data ?? data, writer),
			(thrown: unknown) => {
				throw this.refusal(thrown, 'server:update', writer);
			},
		);
	}

	delete(path: string, writer: Writer): void | Promise<void> {
		if (!this.hooks.has('server:delete')) return this.commitDelete(path, writer);
		return this.hooks.call('server:delete', { path }, { client: writer, api: this.api }).then(
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
					this.report(toError(error), {});
					const failure = new SocketDBError('INTERNAL_ERROR', 'the store could not make the write durable');
					for (const waiter of waiters) waiter(failure);
				},
			);
		});
	}

	private commitUpdate(data: NodeDiff, writer: Writer): void {
		if (!isObject(data) || (data.value !== undefined && !isObject(data.value))) {
			throw new SocketDBError('INVALID_VALUE', 'the root of the tree must stay an object');
		}
		let applied: NodeDiff;
		const probe = this.fanout.probeKeys(data, this.store);
		try {
			applied = this.store.put(data as Node);
		} catch (error) {
			throw this.storeFailure(error, writer, 'the store failed to apply the write');
		}
		if (!hasChange(applied)) return;
		const revision = ++this.revision;
		this.fanout.publishChange(applied, probe);
		this.emitChange({ revision, data: applied as Node }, writer);
	}

	private commitDelete(path: string, writer: Writer): void {
		// Checked again: a `server:delete` hook may have returned another path.
		const reason = typeof path === 'string' ? invalidPathReason(path) : 'the path must be a string';
		if (reason !== null) throw new SocketDBError('INVALID_PATH', reason);
		try {
			this.store.del(path);
		} catch (error) {
			throw this.storeFailure(error, writer, 'the store failed to apply the delete');
		}
		const revision = ++this.revision;
		this.fanout.publishDelete(path);
		this.emitChange({ revision, deleted: path }, writer);
	}

	private emitChange(change: { revision: number; data?: Node; deleted?: string }, writer: Writer): void {
		if (!this.hooks.has('server:change')) return;
		this.hooks.call('server:change', change, { client: writer, api: this.api }).catch((thrown: unknown) => {
			this.report(toError(thrown), { hook: 'server:change', client: toClient(writer) });
		});
	}

	/** A store's own refusal (a `SocketDBError`) reaches the writer as it is; anything else is an internal error. */
	private storeFailure(error: unknown, writer: Writer, message: string): SocketDBError {
		this.report(toError(error), { client: toClient(writer) });
		return error instanceof SocketDBError ? error : new SocketDBError('INTERNAL_ERROR', message);
	}

	private refusal(thrown: unknown, hook: keyof ServerHooks, writer: Writer): SocketDBError {
		const error = toSocketDBError(thrown);
		this.report(error, { hook, client: toClient(writer) });
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

export function toClient(writer: Writer): Client | null {
	return writer.id === null ? null : (writer as Client);
}

export function toError(thrown: unknown): Error {
	return thrown instanceof Error ? thrown : toSocketDBError(thrown);
}

/** Error details go to the client only when they are plain JSON. */
export function jsonDetails(details: unknown): unknown {
	if (details === undefined) return undefined;
	try {
		return JSON.parse(JSON.stringify(details)) as unknown;
	} catch {
		return undefined;
	}
}
