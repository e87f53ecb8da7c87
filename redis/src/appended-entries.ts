import type { LogEntry, ReplicaNode } from '@socketdb/server';

/**
 * This process's logged entries until it has applied their revisions, so that an entry Redis lost
 * after logging it (it restarted without the end of the log before any process read it) is found
 * and logged again: its writer waits for it to be applied and would otherwise wait forever. An
 * entry was lost when the process passed its revision without deciding its write (the log holds
 * something else there), or when the log ends before it.
 */
export class AppendedEntries {
	/** In revision order (appends are one at a time, and Redis numbers on). */
	private entries: { revision: number; entry: LogEntry }[] = [];

	constructor(
		private readonly node: ReplicaNode,
		private readonly appendAgain: (entries: LogEntry[]) => void,
	) {}

	logged(entries: readonly LogEntry[], revisions: readonly number[]): void {
		entries.forEach((entry, i) => this.entries.push({ revision: revisions[i]!, entry }));
		this.applied(this.node.position?.revision ?? 0);
	}

	/** The process applied the log up to `revision`. */
	applied(revision: number): void {
		let passed = 0;
		while (passed < this.entries.length && this.entries[passed]!.revision <= revision) passed++;
		if (passed === 0) return;
		const lost = this.entries
			.splice(0, passed)
			.filter(({ entry }) => !this.node.hasDecided(entry.origin))
			.map(({ entry }) => entry);
		if (lost.length > 0) this.appendAgain(lost);
	}

	/** The log's last revision is `last` (read from Redis after the process caught up): the entries after it are gone. */
	logEndsAt(last: number): void {
		const kept = this.entries.filter(({ revision }) => revision <= last);
		if (kept.length === this.entries.length) return;
		const lost = this.entries.filter(({ revision }) => revision > last).map(({ entry }) => entry);
		this.entries = kept;
		this.appendAgain(lost);
	}
}
