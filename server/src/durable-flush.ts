import { SocketDBError, toError, type Store } from '@socketdb/core';

/**
 * Waiting for writes to be durable: the writes of one task share one flush of the store; a
 * store without `flush` (in memory) answers at once.
 */
export class DurableFlush {
	private waiters: ((error?: SocketDBError) => void)[] | undefined;

	constructor(
		private readonly store: Store,
		/** Hears a flush that failed. */
		private readonly report: (error: Error) => void,
	) {}

	/** Calls `done` once everything written so far is durable. */
	after(done: (error?: SocketDBError) => void): void {
		if (this.store.flush === undefined) return done();
		if (this.waiters !== undefined) {
			this.waiters.push(done);
			return;
		}
		const waiters = (this.waiters = [done]);
		queueMicrotask(() => {
			this.waiters = undefined;
			this.store.flush!().then(
				() => {
					for (const waiter of waiters) waiter();
				},
				(error: unknown) => {
					this.report(toError(error));
					const failure = new SocketDBError('INTERNAL_ERROR', 'the store could not make the write durable');
					for (const waiter of waiters) waiter(failure);
				},
			);
		});
	}
}
