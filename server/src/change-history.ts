import type { NodeDiff } from '@socketdb/core';
import { changeBytes } from './delta';

/** One applied change: the root-anchored diff of what changed, or the path that was deleted. */
export type HistoryChange = { readonly diff: NodeDiff; readonly deleted?: undefined } | { readonly deleted: string; readonly diff?: undefined };

/** A change as the history holds it, with the revision it took. */
export type HistoryEntry = HistoryChange & { readonly revision: number };

/*
 * The bounds. A reconnecting client is usually back within seconds (the transport's first
 * attempt comes after about 100 ms, later ones at most `reconnectTimeout`, 5 s by default,
 * apart). 1,000 changes is ten seconds at a hundred writes a second and one second at a
 * thousand; a client away longer than that gets a snapshot, as before. Holding more costs every
 * write: changes held for long outlive the young generation and load the garbage collector (the
 * W3 bench's server CPU per delivery was 1.5 times as high with 10,000). The byte bound
 * (estimated as the changes would be encoded) keeps large writes from holding much memory: the
 * history holds at most 2 MB of changes, a few times that in the heap.
 */
/** The most changes the history holds. */
export const HISTORY_MAX_CHANGES = 1_000;
/** The most bytes of changes (estimated) the history holds. */
export const HISTORY_MAX_BYTES = 2 * 1024 * 1024;

type Held = HistoryEntry & { readonly bytes: number };

/**
 * The latest changes of the database, in commit order, each with its revision: what a client
 * that held a value at some revision missed since. Bounded by count and bytes; the oldest
 * changes go first. It holds the very diffs the write path published (nobody changes them).
 *
 * Every revision passes through it, in order: with a change (`record`) or, for a revision that
 * changed nothing here (a shared log's entry that was refused or already applied), without
 * (`skip`). A revision that did not pass through it starts it over.
 */
export class ChangeHistory {
	private entries: Held[] = [];
	/** The index of the oldest change held; entries before it were dropped. */
	private first = 0;
	private bytes = 0;
	/** Every change after this revision is held, up to `latest`. */
	private floor: number;
	/** The last revision that passed through (`floor` when none did). */
	private latest: number;

	/** `revision`: the database's revision when the history starts; it holds the changes after it. */
	constructor(
		revision: number,
		private readonly maxChanges = HISTORY_MAX_CHANGES,
		private readonly maxBytes = HISTORY_MAX_BYTES,
	) {
		this.floor = this.latest = revision;
	}

	/** The number of changes held. */
	get size(): number {
		return this.entries.length - this.first;
	}

	/**
	 * Records the changes that took `revision`, the revision after the last one that passed
	 * through (several for one write of several paths).
	 */
	record(revision: number, ...changes: HistoryChange[]): void {
		if (revision !== this.latest + 1) this.clear(revision - 1);
		for (const change of changes) {
			const bytes = changeBytes(change);
			this.entries.push(change.diff === undefined ? { revision, deleted: change.deleted, bytes } : { revision, diff: change.diff, bytes });
			this.bytes += bytes;
		}
		this.latest = revision;
		while (this.size > this.maxChanges || (this.bytes > this.maxBytes && this.size > 0)) {
			const oldest = this.entries[this.first++]!;
			this.bytes -= oldest.bytes;
			this.floor = oldest.revision;
		}
		// Dropped entries are cut off once they are half of the array, so dropping costs O(1) on average.
		if (this.first > 1024 && this.first * 2 > this.entries.length) {
			this.entries = this.entries.slice(this.first);
			this.first = 0;
		}
	}

	/** `revision` changed nothing here. */
	skip(revision: number): void {
		if (revision === this.latest + 1) this.latest = revision;
		else this.clear(revision);
	}

	/**
	 * The changes after revision `since`, oldest first, when the history holds every one of them
	 * up to `current`, the database's revision now; `undefined` when it does not (too old a
	 * revision, one the database never reached, or changes that went past the history).
	 */
	since(since: number, current: number): readonly HistoryEntry[] | undefined {
		if (current !== this.latest || since < this.floor || since > this.latest) return undefined;
		// The first entry after `since`: revisions increase along the array.
		let low = this.first;
		let high = this.entries.length;
		while (low < high) {
			const middle = (low + high) >>> 1;
			if (this.entries[middle]!.revision <= since) low = middle + 1;
			else high = middle;
		}
		return this.entries.slice(low);
	}

	/** Forgets every change; the history holds the changes after `revision` from now on. */
	clear(revision: number): void {
		this.entries = [];
		this.first = 0;
		this.bytes = 0;
		this.floor = this.latest = revision;
	}
}
