import type { ClientErrorEvent } from './types';

/**
 * Without a `client:error` hook, errors go to the console: the first of each code at once,
 * repeats at most once a second as a count, so a burst of refused writes does not flood it.
 */
export class ConsoleReport {
	private readonly suppressed = new Map<string, number>();

	report(event: ClientErrorEvent): void {
		const count = this.suppressed.get(event.code);
		if (count !== undefined) {
			this.suppressed.set(event.code, count + 1);
			return;
		}
		console.warn(`[socketdb] ${event.code}: ${event.message}`);
		this.suppressed.set(event.code, 0);
		const timer = setTimeout(() => {
			const repeats = this.suppressed.get(event.code) ?? 0;
			this.suppressed.delete(event.code);
			if (repeats > 0) console.warn(`[socketdb] ${event.code}: ${repeats} more in the last second`);
		}, 1_000);
		// In Node the summary must not keep the process alive.
		(timer as { unref?: () => void }).unref?.();
	}
}
