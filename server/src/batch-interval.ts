/**
 * How long a batch that starts now waits when `updateInterval` is above 0: batches go out one
 * interval apart, counted from the start of the previous flush, so a change read late behind a
 * large flush (its socket waited meanwhile) waits only for the rest of that interval; after a quiet
 * time, a batch waits one interval from its first change. `lastFlushAt` and `now` are
 * `performance.now()` times.
 */
export function batchDelay(interval: number, lastFlushAt: number, now: number): number {
	const untilOneAfterPrevious = lastFlushAt + interval - now;
	return untilOneAfterPrevious > 0 ? untilOneAfterPrevious : interval;
}
