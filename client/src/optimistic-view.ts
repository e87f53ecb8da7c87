import type { ClientMessage } from '@socketdb/core';
import { removeFrom } from './fifo-map';
import type { Mirror } from './mirror';
import { applyWrite, isLocalWrite, masks, type LocalWrite } from './local-write';
import { keepEqual, nodeAt, type TreeNode } from './persistent-tree';

/** A value subscription as the view needs it: whether it holds its value, and as of which revision of which database. */
export type SubscriptionState = { readonly loaded: boolean; readonly rev?: number | undefined; readonly db?: string | undefined };

/** What the view needs from the client's subscriptions. */
export interface ViewSubscriptions {
	/** Changes whenever a value subscription gets its value or goes away. */
	readonly loadedVersion: number;
	/** The database of the current connection. */
	readonly database: string | undefined;
	/** The value subscriptions whose values `write` may change. */
	valuesReachedBy(write: LocalWrite): readonly SubscriptionState[];
}

/** A write shown in the view: not answered yet, or acknowledged but its change not in the subscriptions' data yet. */
type ShownWrite = {
	readonly seq: number;
	readonly write: LocalWrite;
	/** The ACK's revision (`AT_ONCE` for an ACK without one) and the database it counts in, once acknowledged. */
	rev?: number;
	db?: string | undefined;
	/** The next shown write, when it writes over everything this one wrote: replaying it is enough while it is shown. */
	maskedBy?: ShownWrite;
};

/** The revision of an ACK that carries none: the data the client holds has the write. */
const AT_ONCE = -1;
const NONE: readonly LocalWrite[] = [];

/**
 * What this client's listeners see: the server's data (the mirror) with the writes the server has
 * not confirmed yet applied on top, in the order they were made. The two stay apart: a refused
 * write leaves the view, which is then the server's data with the others re-applied.
 *
 * A write shows while a value subscription it reaches holds its value. It leaves when the server
 * refuses it, or once it is acknowledged and every value subscription it reaches holds data as of
 * the ACK's revision (it is then part of the server's data; dropping it at the ACK would show an
 * older value until the server's DATA arrives), after the writes before it: an earlier write
 * applied over the server's data would hide a later one that data holds.
 *
 * With no write shown, the view is the mirror's tree itself: writes nobody watches cost a check.
 */
export class OptimisticView {
	/** The writes shown, by sequence number, in write order. */
	#shown = new Map<number, ShownWrite>();
	/** The last write shown, in write order. */
	#last: ShownWrite | undefined;
	/** The view's tree while writes are shown; `undefined` when the view is the mirror's tree. */
	#view: TreeNode | undefined;
	/** The mirror version the view was built on. */
	#builtOn = -1;
	/** The subscriptions' `loadedVersion` the shown writes were picked for. */
	#shownFor = -1;
	/** The view must be built again (a shown write left, or came out of order). */
	#stale = false;

	readonly #mirror: Mirror;
	readonly #subscriptions: ViewSubscriptions;
	readonly #unanswered: () => Iterable<{ readonly seq: number; readonly message?: ClientMessage | undefined }>;

	constructor(
		mirror: Mirror,
		subscriptions: ViewSubscriptions,
		/** The writes the server has not answered yet (after their hooks), in write order. */
		unanswered: () => Iterable<{ readonly seq: number; readonly message?: ClientMessage | undefined }>,
	) {
		this.#mirror = mirror;
		this.#subscriptions = subscriptions;
		this.#unanswered = unanswered;
	}

	/** The node at `segments` in the view, or `undefined`. */
	nodeAt(segments: readonly string[]): TreeNode | undefined {
		return nodeAt(this.root(), segments);
	}

	/** The whole view. */
	root(): TreeNode {
		this.#updateShown();
		if (this.#shown.size === 0) {
			if (this.#view !== undefined) {
				// The last shown write left: the server's data takes the identities of what the view
				// showed where it is equal, so nobody hears of a change that did not happen.
				this.#mirror.adopt(keepEqual(this.#mirror.root, this.#view));
				this.#view = undefined;
			}
			return this.#mirror.root;
		}
		if (this.#view === undefined || this.#stale || this.#builtOn !== this.#mirror.version) this.#build();
		return this.#view!;
	}

	/** A write was made (its hooks ran): shown at once if a value subscription it reaches holds its value. True when shown. */
	add(seq: number, write: LocalWrite): boolean {
		this.#updateShown();
		if (!this.#reachesLoaded(write)) return false;
		this.#insert({ seq, write });
		if (this.#view === undefined) {
			this.#view = applyWrite(this.#mirror.root, write);
			this.#builtOn = this.#mirror.version;
		} else if (!this.#stale && this.#builtOn === this.#mirror.version) {
			this.#view = applyWrite(this.#view, write);
		}
		return true;
	}

	/**
	 * The server acknowledged a write as of revision `rev` of database `db` (no revision: the data
	 * the client holds has it). Returns the writes that left the view.
	 */
	acknowledged(seq: number, rev: number | undefined, db: string | undefined): readonly LocalWrite[] {
		const entry = this.#shown.get(seq);
		if (entry === undefined) return NONE;
		entry.rev = rev ?? AT_ONCE;
		entry.db = db;
		return this.settle();
	}

	/** The server refused a write (or it could never be sent). Returns the writes that left the view. */
	refused(seq: number): readonly LocalWrite[] {
		const entry = this.#shown.get(seq);
		if (entry === undefined) return NONE;
		return [this.#remove(entry), ...this.settle()];
	}

	/** Every write was refused. Returns those that left the view. */
	clear(): LocalWrite[] {
		return [...this.#shown.values()].map((entry) => this.#remove(entry));
	}

	/**
	 * Subscriptions got values or changes (or went away): acknowledged writes whose change every
	 * subscription they reach now holds leave the view, in write order. Returns them.
	 */
	settle(): readonly LocalWrite[] {
		let left: LocalWrite[] | undefined;
		for (const entry of this.#shown.values()) {
			if (entry.rev === undefined || !this.#reached(entry)) break;
			(left ??= []).push(this.#remove(entry));
		}
		return left ?? NONE;
	}

	/** How many writes the view shows. */
	get size(): number {
		return this.#shown.size;
	}

	#insert(entry: ShownWrite): void {
		const last = this.#last;
		this.#shown.set(entry.seq, entry);
		if (last === undefined || entry.seq > last.seq) {
			if (last !== undefined && this.#shown.get(last.seq) === last && masks(entry.write, last.write)) last.maskedBy = entry;
			this.#last = entry;
			return;
		}
		// Out of order (its hooks finished after a later write's, or its subscription's value came
		// later): the view keeps the order the server applies the writes in.
		this.#shown = new Map([...this.#shown].sort(([a], [b]) => a - b));
		let previous: ShownWrite | undefined;
		for (const each of this.#shown.values()) {
			if (previous !== undefined) previous.maskedBy = masks(each.write, previous.write) ? each : undefined;
			previous = each;
		}
		this.#last = previous;
		this.#stale = true;
	}

	#remove(entry: ShownWrite): LocalWrite {
		this.#shown = removeFrom(this.#shown, entry.seq);
		this.#stale = true;
		return entry.write;
	}

	/**
	 * Every value subscription the write reaches that holds a value holds it as of the write's ACK.
	 * (One still waiting for its value shows nothing yet: whatever arrives is news to its listeners.)
	 */
	#reached(entry: ShownWrite): boolean {
		const { rev, db } = entry;
		if (rev === AT_ONCE) return true;
		const current = this.#subscriptions.database;
		for (const subscription of this.#subscriptions.valuesReachedBy(entry.write)) {
			if (!subscription.loaded) continue;
			if (subscription.db === db) {
				if (subscription.rev === undefined || subscription.rev < rev!) return false;
			} else if (subscription.db !== current || db === current) {
				// Revisions of different databases do not compare: data loaded from the current
				// database settles a write acknowledged by another; the other way round, wait for it.
				return false;
			}
		}
		return true;
	}

	#reachesLoaded(write: LocalWrite): boolean {
		for (const subscription of this.#subscriptions.valuesReachedBy(write)) if (subscription.loaded) return true;
		return false;
	}

	/**
	 * When subscriptions got their values or went away: unanswered writes that reach a value now
	 * show, shown writes that reach none leave (an unanswered one shows again if one loads).
	 */
	#updateShown(): void {
		const version = this.#subscriptions.loadedVersion;
		if (version === this.#shownFor) return;
		this.#shownFor = version;
		for (const entry of [...this.#shown.values()]) if (!this.#reachesLoaded(entry.write)) this.#remove(entry);
		for (const { seq, message } of this.#unanswered()) {
			if (isLocalWrite(message) && !this.#shown.has(seq) && this.#reachesLoaded(message)) {
				this.#insert({ seq, write: message });
				this.#stale = true;
			}
		}
	}

	/** The server's data with the shown writes applied in order; equal parts keep the identities the view had. */
	#build(): void {
		let next = this.#mirror.root;
		for (const entry of this.#shown.values()) {
			const masker = entry.maskedBy;
			if (masker === undefined || this.#shown.get(masker.seq) !== masker) next = applyWrite(next, entry.write);
		}
		this.#view = keepEqual(next, this.#view ?? this.#mirror.root);
		this.#builtOn = this.#mirror.version;
		this.#stale = false;
	}
}
