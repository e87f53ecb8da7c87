type Task = () => void | Promise<void>;

/**
 * Runs tasks one after another, in the order they were queued, never two at once
 * (also when a task queues another). A task that returns synchronously lets the next
 * one run in the same tick, so a queue without async hooks adds no latency. Tasks
 * handle their own errors; a throw or rejection only moves the queue on.
 */
export class SerialQueue {
	private waiting: Task[] | undefined;
	private head = 0;
	private busy = false;

	run(task: Task): void {
		(this.waiting ??= []).push(task);
		if (!this.busy) this.drain();
	}

	get idle(): boolean {
		return !this.busy && (this.waiting === undefined || this.head === this.waiting.length);
	}

	private drain(): void {
		this.busy = true;
		while (this.waiting !== undefined && this.head < this.waiting.length) {
			const task = this.waiting[this.head]!;
			this.waiting[this.head++] = undefined as unknown as Task;
			this.compact();
			let result: void | Promise<void>;
			try {
				result = task();
			} catch {
				result = undefined;
			}
			if (result !== undefined && typeof result.then === 'function') {
				const next = () => this.drain();
				result.then(next, next);
				return;
			}
		}
		// Drained: drop the array so an idle queue holds nothing.
		this.waiting = undefined;
		this.head = 0;
		this.busy = false;
	}

	/** Drops finished tasks from the front once they make up most of the array. */
	private compact(): void {
		if (this.head < 1024 || this.head * 2 < this.waiting!.length) return;
		this.waiting = this.waiting!.slice(this.head);
		this.head = 0;
	}
}
