import type { LogEntry, Replication } from './replication';

/**
 * For unit tests of what sits on a shared log: a `Replication` that keeps what is appended in
 * `appended` and never hands it back; the test applies the entries when it wants, numbered as
 * the log would.
 */
export function recordingReplication(): { replication: Replication; appended: LogEntry[] } {
	const appended: LogEntry[] = [];
	const replication: Replication = {
		start: async () => undefined,
		append: async (entries) => void appended.push(...entries),
		publishStats: () => undefined,
		stop: async () => undefined,
	};
	return { replication, appended };
}
