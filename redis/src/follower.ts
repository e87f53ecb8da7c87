import type { LoggedEntry, ReplicaNode } from '@socketdb/server';
import type { Redis } from 'ioredis';
import { decodeEntry, type StreamEntry } from './entry-codec';
import type { ClusterKeys } from './keys';
import { readSnapshot } from './snapshots';

/** Entries read per command. */
const BATCH = 1000;
/**
 * How often the log is read although nothing asked for it (ms): entries come published with
 * their append, and a gap among them makes the process read at once; this catches an append whose
 * publication was lost at the end of a quiet spell.
 */
const READ_EVERY_MS = 2_000;
/** How long to wait before reading again after the connection failed (ms). */
const RETRY_MS = 200;
/** How long a process behind waits for a snapshot that covers what it needs (ms), before it gives up. */
const SNAPSHOT_WAIT_MS = 30_000;

type ReadReply = [stream: string, entries: StreamEntry[]][] | null;

/**
 * Applies the log's entries to the node, in order, from where the node's data stands. Each
 * append publishes its entries: those that follow the last one applied are applied as they
 * come, without a request. The stream itself is read at start, when a published entry does not
 * follow (one was missed, the connection dropped, the log was trimmed or lost its end), after a
 * failure, and every couple of seconds. Where the log no longer reaches back far enough (it was
 * trimmed), the node first loads the cluster's snapshot. Revisions are consecutive in the log,
 * so a gap is noticed. Its reads never block, so it shares the process's connection for commands.
 */
export class LogFollower {
	private stopped = false;
	/** The last entry applied and its revision. */
	private lastId: string;
	private revision: number;
	private loop: Promise<void> | undefined;
	/** Published entries not applied yet (held while the stream is being read). */
	private published: StreamEntry[] = [];
	private reading = false;
	/** The stream must be read (a published entry did not follow). */
	private readWanted = false;
	private wake: (() => void) | undefined;

	constructor(
		private readonly redis: Redis,
		private readonly keys: ClusterKeys,
		private readonly node: ReplicaNode,
		private readonly onApplied: (revision: number) => void,
		/**
		 * The log lost entries this process applied (Redis restarted without them): `forked` are
		 * the entries logged since on top of the shortened log. Resolves once the log is mended.
		 */
		private readonly onLostTail: (forked: readonly LoggedEntry[]) => Promise<void>,
	) {
		const position = node.position;
		this.lastId = position?.log ?? '0-0';
		this.revision = position?.revision ?? 0;
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
		this.loop ??= this.run();
	}

	/** Stops reading; resolves once the read under way, if any, is done (the connection is its owner's to close). */
	async stop(): Promise<void> {
		this.stopped = true;
		this.wake?.();
		await this.loop?.catch(() => undefined);
	}

	/** Entries an append published (as the stream holds them). */
	publishedEntries(entries: readonly StreamEntry[]): void {
		if (this.stopped) return;
		this.published.push(...entries);
		if (!this.reading) this.applyPublished();
	}

	/** Reads the stream soon (the publications may have missed entries: a reconnect). */
	readSoon(): void {
		this.readWanted = true;
		this.wake?.();
	}

	/** Applies the published entries that follow the last one applied; on anything else, reads the stream. */
	private applyPublished(): void {
		const entries = this.published;
		this.published = [];
		let applied = false;
		try {
			for (const raw of entries) {
				// Read from the stream already.
				if (!isAfter(raw[0], this.lastId)) continue;
				const entry = decode(raw);
				if (entry.revision !== this.revision + 1) return this.readSoon();
				this.applyNext(entry);
				applied = true;
			}
		} catch (error) {
			if (error instanceof UnreadableLog) return this.node.fail(error);
			throw error;
		} finally {
			if (applied) this.onApplied(this.revision);
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
				if (this.readWanted || this.stopped) continue;
				await new Promise<void>((resume) => {
					const timer = setTimeout(resume, READ_EVERY_MS);
					this.wake = () => {
						clearTimeout(timer);
						resume();
					};
				});
				this.wake = undefined;
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
		const reply = (await this.redis.xread('COUNT', BATCH, 'STREAMS', this.keys.log, this.lastId)) as ReadReply;
		const entries = reply?.[0]?.[1] ?? [];
		if (entries.length === 0) {
			// Nothing after our entry: but was the log trimmed past it, or did it lose its end?
			await this.checkNotBehind();
			return 0;
		}
		const forked: LoggedEntry[] = [];
		for (const raw of entries) {
			const entry = decode(raw);
			if (entry.revision <= this.revision) {
				// Numbered at or below what this process applied, yet logged after it: the log lost its end.
				forked.push(entry);
				this.lastId = entry.log;
				continue;
			}
			if (entry.revision !== this.revision + 1) {
				// Entries between were trimmed away: start again from the snapshot.
				await this.loadSnapshot(entry.revision);
				return 1;
			}
			this.applyNext(entry);
		}
		if (forked.length > 0) await this.onLostTail(forked);
		this.onApplied(this.revision);
		return entries.length;
	}

	/** Applies the entry after the last one applied. */
	private applyNext(entry: LoggedEntry): void {
		this.node.apply(entry);
		this.lastId = entry.log;
		this.revision = entry.revision;
	}

	/**
	 * An empty read means the process is caught up, unless the log was trimmed past its entry
	 * (then the first entry left, or in an empty log the last revision handed out, is beyond it),
	 * or Redis lost the end of the log (the last revision handed out is behind this process).
	 */
	private async checkNotBehind(): Promise<void> {
		const latest = Number((await this.redis.get(this.keys.revision)) ?? 0);
		if (latest < this.revision) return this.onLostTail([]);
		const first = (await this.redis.xrange(this.keys.log, '-', '+', 'COUNT', 1)) as StreamEntry[];
		if (first.length > 0) {
			const next = decode(first[0]!).revision;
			if (next > this.revision + 1) await this.loadSnapshot(next);
			return;
		}
		if (latest > this.revision) await this.loadSnapshot(latest + 1);
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
		this.lastId = snapshot.position.log ?? '0-0';
		this.revision = snapshot.position.revision;
	}
}

/** Whether stream id `id` comes after `other` (ids are `<ms>-<seq>`). */
function isAfter(id: string, other: string): boolean {
	const [ms, seq] = id.split('-').map(Number) as [number, number];
	const [otherMs, otherSeq] = other.split('-').map(Number) as [number, number];
	return ms > otherMs || (ms === otherMs && seq > otherSeq);
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
