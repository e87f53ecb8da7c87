import type { LoggedEntry, ReplicaNode } from '@socketdb/server';
import type { Redis } from 'ioredis';
import { decodeEntry, decodePublication, logId, type StreamEntry } from './entry-codec';
import type { ClusterKeys } from './keys';
import { logEnds } from './log-stream';
import { readSnapshot } from './snapshots';

/** Entries read per command. */
const BATCH = 1000;
/**
 * How long the log may stay quiet before it is read although nothing asked for it (ms): entries
 * come published with their append, and a gap among them makes the process read; this catches a
 * publication lost at the end of a busy spell (its appender died between logging and publishing).
 */
const READ_WHEN_QUIET_MS = 2_000;
/**
 * How long a published entry that does not follow the last one applied waits for the ones before
 * it (ms): appends of several processes may be published in another order than logged.
 */
const GAP_WAIT_MS = 20;
/** How long to wait before reading again after the connection failed (ms). */
const RETRY_MS = 200;
/** How long a process behind waits for a snapshot that covers what it needs (ms), before it gives up. */
const SNAPSHOT_WAIT_MS = 30_000;

type ReadReply = [stream: string, entries: StreamEntry[]][] | null;

/**
 * Applies the log's entries to the node, in order, from where the node's data stands. Each
 * append publishes its entries: those that follow the last one applied are applied as they
 * come, without a request. The stream itself is read at start, when published entries leave a
 * gap (one was missed, the connection dropped, the log was trimmed or lost its end), after a
 * failure, and after a quiet spell. Where the log no longer reaches back far enough (it was
 * trimmed), the node first loads the cluster's snapshot. An entry's id is its revision, so a gap
 * is noticed. Its reads never block, so it shares the process's connection for commands.
 */
export class LogFollower {
	private stopped = false;
	/** The revision of the last entry applied (its id is `0-<revision>`). */
	private revision: number;
	private loop: Promise<void> | undefined;
	/** Published entries after the last one applied, by revision (held while the stream is being read, or until the gap before them fills). */
	private readonly published = new Map<number, LoggedEntry>();
	private reading = false;
	/** The stream must be read (published entries left a gap). */
	private readWanted = false;
	private gapTimer: ReturnType<typeof setTimeout> | undefined;
	/** When an entry was last applied (ms). */
	private appliedAt = 0;
	private wake: (() => void) | undefined;

	constructor(
		private readonly redis: Redis,
		private readonly keys: ClusterKeys,
		private readonly node: ReplicaNode,
		private readonly onApplied: (revision: number) => void,
		/** The log lost entries this process applied (Redis restarted without them). Resolves once the log is mended. */
		private readonly onLostTail: () => Promise<void>,
		/** The process caught up with a log whose last revision is `last`. */
		private readonly onLogEnd: (last: number) => void,
	) {
		this.revision = node.position?.revision ?? 0;
	}

	/** Reads and applies everything logged so far; resolves once caught up (published entries wait meanwhile). */
	async catchUp(): Promise<void> {
		this.reading = true;
		try {
			while ((await this.read()) > 0 && !this.stopped);
		} finally {
			this.reading = false;
		}
	}

	/** From now on, keeps applying entries as they are logged. */
	follow(): void {
		this.appliedAt = Date.now();
		this.loop ??= this.run();
	}

	/** Stops reading; resolves once the read under way, if any, is done (the connection is its owner's to close). */
	async stop(): Promise<void> {
		this.stopped = true;
		clearTimeout(this.gapTimer);
		this.wake?.();
		await this.loop?.catch(() => undefined);
	}

	/** A publication of an append (this process's own included). */
	publication(message: string): void {
		if (this.stopped) return;
		let entries: LoggedEntry[];
		try {
			entries = decodePublication(message);
		} catch {
			// Not what this version publishes: the stream is the authority.
			return this.readSoon();
		}
		for (const entry of entries) if (entry.revision > this.revision) this.published.set(entry.revision, entry);
		if (!this.reading) this.applyPublished();
	}

	/** Reads the stream soon (the publications may have missed entries: a reconnect). */
	readSoon(): void {
		this.readWanted = true;
		this.wake?.();
	}

	/** Applies the published entries that follow the last one applied; a gap left waits a moment, then the stream is read. */
	private applyPublished(): void {
		let applied = false;
		try {
			for (let next = this.published.get(this.revision + 1); next !== undefined; next = this.published.get(this.revision + 1)) {
				this.published.delete(next.revision);
				this.applyNext(next);
				applied = true;
			}
		} finally {
			if (applied) this.onApplied(this.revision);
		}
		for (const revision of this.published.keys()) if (revision <= this.revision) this.published.delete(revision);
		if (this.published.size === 0) {
			clearTimeout(this.gapTimer);
			this.gapTimer = undefined;
		} else if (applied || this.gapTimer === undefined) {
			clearTimeout(this.gapTimer);
			this.gapTimer = setTimeout(() => {
				this.gapTimer = undefined;
				if (this.published.size > 0) this.readSoon();
			}, GAP_WAIT_MS);
		}
	}

	private async run(): Promise<void> {
		let failed = false;
		while (!this.stopped) {
			try {
				// Read to the end: the empty read at the end also notices a log that Redis lost the end of (a restart).
				this.readWanted = false;
				await this.catchUp();
				failed = false;
				this.applyPublished();
				for (;;) {
					if (this.readWanted || this.stopped) break;
					const quiet = Date.now() - this.appliedAt;
					if (quiet >= READ_WHEN_QUIET_MS) break;
					await new Promise<void>((resume) => {
						const timer = setTimeout(resume, READ_WHEN_QUIET_MS - quiet);
						this.wake = () => {
							clearTimeout(timer);
							resume();
						};
					});
					this.wake = undefined;
				}
				// Read at most once per quiet spell of the log.
				if (!this.readWanted) this.appliedAt = Date.now();
			} catch (error) {
				if (this.stopped) return;
				if (error instanceof UnreadableLog) return this.node.fail(error);
				if (!failed) this.node.report(new Error(`reading the log failed, trying again: ${(error as Error).message}`, { cause: error }));
				failed = true;
				await new Promise((resume) => setTimeout(resume, RETRY_MS));
			}
		}
	}

	/** Reads one batch after the last entry applied and applies it; the number of entries read. */
	private async read(): Promise<number> {
		const reply = (await this.redis.xread('COUNT', BATCH, 'STREAMS', this.keys.log, logId(this.revision))) as ReadReply;
		const entries = reply?.[0]?.[1] ?? [];
		if (entries.length === 0) {
			// Nothing after our entry: but was the log trimmed past it, or did it lose its end?
			await this.checkNotBehind();
			return 0;
		}
		for (const raw of entries) {
			const entry = decode(raw);
			if (entry.revision !== this.revision + 1) {
				// Entries between were trimmed away: start again from the snapshot.
				await this.loadSnapshot(entry.revision);
				return 1;
			}
			this.applyNext(entry);
		}
		this.onApplied(this.revision);
		return entries.length;
	}

	/** Applies the entry after the last one applied. */
	private applyNext(entry: LoggedEntry): void {
		this.node.apply(entry);
		this.revision = entry.revision;
		this.appliedAt = Date.now();
	}

	/**
	 * An empty read means the process is caught up, unless the log was trimmed past its entry
	 * (then the first entry left, or in an empty log the last revision handed out, is beyond it),
	 * or Redis lost the end of the log (the last revision handed out is behind this process).
	 */
	private async checkNotBehind(): Promise<void> {
		let ends;
		try {
			ends = await logEnds(this.redis, this.keys.log);
		} catch (error) {
			if (/earlier version/.test((error as Error).message)) throw new UnreadableLog((error as Error).message);
			throw error;
		}
		if (ends.last < this.revision) return this.onLostTail();
		this.onLogEnd(ends.last);
		if (ends.first !== undefined) {
			if (ends.first > this.revision + 1) await this.loadSnapshot(ends.first);
			return;
		}
		if (ends.last > this.revision) await this.loadSnapshot(ends.last + 1);
	}

	/**
	 * Loads the cluster's snapshot, which must reach at least the revision before `needed`. One that
	 * does not yet may be on its way (a process mending a lost end of the log writes one): it is
	 * waited for, for a while.
	 */
	private async loadSnapshot(needed: number): Promise<void> {
		const deadline = Date.now() + SNAPSHOT_WAIT_MS;
		let snapshot = await readSnapshot(this.redis, this.keys);
		while (snapshot === undefined || snapshot.position.revision < needed - 1) {
			if (Date.now() > deadline || this.stopped) {
				throw new UnreadableLog(`the log no longer holds the changes after revision ${this.revision} (the next is ${needed}), and no snapshot covers them`);
			}
			await new Promise((resume) => setTimeout(resume, RETRY_MS));
			snapshot = await readSnapshot(this.redis, this.keys);
		}
		this.node.load(snapshot);
		this.revision = snapshot.position.revision;
		this.onApplied(this.revision);
		for (const revision of this.published.keys()) if (revision <= this.revision) this.published.delete(revision);
	}
}

function decode(raw: StreamEntry): LoggedEntry {
	try {
		return decodeEntry(raw);
	} catch (error) {
		throw new UnreadableLog((error as Error).message);
	}
}

/** The log holds what this process cannot apply: it stops following it. */
export class UnreadableLog extends Error {
	override readonly name = 'UnreadableLog';
}
