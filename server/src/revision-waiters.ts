/**
 * Waits for a process to reach a revision. With a shared log, a client may come back from a
 * process further along than this one: its subscriptions wait here until this process has
 * applied the revision the client holds, or until a timeout.
 */
export class RevisionWaiters {
	private waiters: { revision: number; resume: () => void }[] = [];

	/** Resolves once `reached(r)` was called with `r >= revision`, or after `timeoutMs`. */
	wait(revision: number, timeoutMs: number): Promise<void> {
		return new Promise((resolve) => {
			const waiter = {
				revision,
				resume: () => {
					clearTimeout(timer);
					resolve();
				},
			};
			const timer = setTimeout(() => {
				this.waiters = this.waiters.filter((other) => other !== waiter);
				resolve();
			}, timeoutMs);
			this.waiters.push(waiter);
		});
	}

	/** The process applied `revision`. */
	reached(revision: number): void {
		if (this.waiters.length === 0) return;
		const waiting = this.waiters;
		this.waiters = waiting.filter((waiter) => waiter.revision > revision);
		for (const waiter of waiting) if (waiter.revision <= revision) waiter.resume();
	}
}
