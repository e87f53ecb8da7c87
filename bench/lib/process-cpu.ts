/** The CPU time of another process, read from outside it (Linux only). */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time (user + system) process `pid` has used so far, in µs: the sum of its threads' time on
 * a CPU from the scheduler's statistics (nanoseconds; `/proc/<pid>/stat` counts in 10 ms ticks,
 * too coarse for a few seconds' window). A thread that ended meanwhile is no longer counted;
 * Node's threads (the V8 platform's and libuv's pool) live as long as the process.
 */
export function processCpuMicros(pid: number): number {
	let nanoseconds = 0;
	for (const thread of readdirSync(`/proc/${pid}/task`)) {
		try {
			nanoseconds += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]);
		} catch {
			// The thread ended between the listing and the read.
		}
	}
	return nanoseconds / 1000;
}
