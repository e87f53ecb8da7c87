import type { LoggedEntry, ReplicaNode } from '@socketdb/server';
import type { Redis } from 'ioredis';
import { decodeEntry, type StreamEntry } from './entry-codec';
import type { ClusterKeys } from './keys';
import { readSnapshot } from './snapshots';

/** Entries read per command. */
const BATCH = 1000;
/** How long one blocking read waits for new entries before it asks again (ms). */
const BLOCK_MS = 5_000;
/** How long to wait before reading again after the connection failed (ms). */
const RETRY_MS = 200;

type ReadReply = [stream: string, entries: StreamEntry[]][] | null;

/**
 * Reads the log and applies its entries to the node, in order, from where the node's data
 * stands. Where the log no longer reaches back that far (it was trimmed), the node first loads
 * the cluster's snapshot. Revisions are consecutive in the log, so a gap is noticed. Runs on a
 * connection of its own (its reads block), and starts again from the last entry applied after
 * the connection failed.
 */
export class LogFollower {
	private stopped = false;
	/** The last entry applied and its revision. */
	private lastId: string;
	private revision: number;
	private loop: Promise<void> | undefined;

	constructor(
		private readonly redis: Redis,
		private readonly keys: ClusterKeys,
		private readonly node: ReplicaNode,
		private readonly onApplied: (revision: number) => void,
	) {
		const position = node.position;
		this.lastId = position?.log ?? '0-0';
		this.revision = position?.revision ?? 0;
	}

	/** Reads and applies everything logged so far; resolves once caught up. */
	async catchUp(): Promise<void> {
		for (;;) {
			const read = await this.read(false);
			if (read === 0) return;
		}
	}

	/** From now on, keeps applying entries as they are logged. */
	follow(): void {
		this.loop ??= this.run();
	}

	async stop(): Promise<void> {
		this.stopped = true;
		this.redis.disconnect();
		await this.loop?.catch(() => undefined);
	}

	private async run(): Promise<void> {
		while (!this.stopped) {
			try {
				await this.read(true);
			} catch (error) {
				if (this.stopped) return;
				if (error instanceof UnreadableLog) return this.node.fail(error);
				this.node.report(new Error(`reading the log failed, trying again: ${(error as Error).message}`, { cause: error }));
				await new Promise((resume) => setTimeout(resume, RETRY_MS));
			}
		}
	}

	/** Reads one batch after the last entry applied and applies it; the number of entries read. */
	private async read(block: boolean): Promise<number> {
		const reply = (block
			? await this.redis.xread('COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', this.keys.log, this.lastId)
			: await this.redis.xread('COUNT', BATCH, 'STREAMS', this.keys.log, this.lastId)) as ReadReply;
		const entries = reply?.[0]?.[1] ?? [];
		if (entries.length === 0) {
			// Nothing after our entry: but was the log trimmed past it? Only when it is empty now and we are behind.
			if (!block) await this.checkNotBehind();
			return 0;
		}
		for (const raw of entries) {
			const entry = decode(raw);
			if (entry.revision <= this.revision) {
				this.lastId = entry.log;
				continue;
			}
			if (entry.revision !== this.revision + 1) {
				// Entries between were trimmed away: start again from the snapshot.
				await this.loadSnapshot(entry.revision);
				return 1;
			}
			this.node.apply(entry);
			this.lastId = entry.log;
			this.revision = entry.revision;
		}
		this.onApplied(this.revision);
		return entries.length;
	}

	/**
	 * An empty read means the process is caught up, unless the log was trimmed past its entry:
	 * then the first entry left (or, in an empty log, the last revision handed out) is beyond it.
	 */
	private async checkNotBehind(): Promise<void> {
		const first = (await this.redis.xrange(this.keys.log, '-', '+', 'COUNT', 1)) as StreamEntry[];
		if (first.length > 0) {
			const next = decode(first[0]!).revision;
			if (next > this.revision + 1) await this.loadSnapshot(next);
			return;
		}
		const latest = Number((await this.redis.get(this.keys.revision)) ?? 0);
		if (latest > this.revision) await this.loadSnapshot(latest + 1);
	}

	private async loadSnapshot(needed: number): Promise<void> {
		const snapshot = await readSnapshot(this.redis, this.keys);
		if (snapshot === undefined || snapshot.position.revision < this.revision) {
			throw new UnreadableLog(`the log no longer holds the changes after revision ${this.revision} (the next is ${needed}), and no snapshot covers them`);
		}
		this.node.load(snapshot.root, snapshot.position);
		this.lastId = snapshot.position.log ?? '0-0';
		this.revision = snapshot.position.revision;
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
