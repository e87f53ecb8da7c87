/** Small statistics helpers for the bench. */

export function percentile(values: readonly number[], p: number): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[index]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** Median with the range, as printed in the tables: `12.3 (11.9–13.0)`. */
export function summary(values: readonly number[]): { median: number; min: number; max: number } {
	return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Waits one event-loop turn (lets I/O callbacks run between writes). */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
