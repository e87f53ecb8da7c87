type Task = () => void | Promise<void>;

/**
 * Runs tasks one after another. A task that returns synchronously lets the next
 * one run in the same tick, so a queue without async hooks adds no latency.
 * Tasks handle their own errors; a throw or rejection only moves the queue on.
 */
export class SerialQueue {
	private readonly waiting: Task[] = [];
	private busy = false;

	run(task: Task): void {
		if (this.busy) {
			this.waiting.push(task);
			return;
		}
		this.drain(task);
	}

	get idle(): boolean {
		return !this.busy && this.waiting.length === 0;
	}

	private drain(first: Task): void {
		let task: Task | undefined = first;
		while (task !== undefined) {
			let result: void | Promise<void>;
			try {
				result = task();
			} catch {
				result = undefined;
			}
			if (result !== undefined && typeof result.then === 'function') {
				this.busy = true;
				const next = () => {
					this.busy = false;
					const following = this.waiting.shift();
					if (following !== undefined) this.drain(following);
				};
				result.then(next, next);
				return;
			}
			task = this.waiting.shift();
		}
	}
}
