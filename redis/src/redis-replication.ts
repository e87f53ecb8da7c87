import type { ConnectionStats } from '@socketdb/core';
import type { LogEntry, ReplicaNode, Replication } from '@socketdb/server';
import { Redis } from 'ioredis';
import { AppendedEntries } from './appended-entries';
import { LogAppender } from './appender';
import { ClusterStats } from './cluster-stats';
import { LogFollower } from './follower';
import { clusterKeys, type ClusterKeys } from './keys';
import { logEnds, raiseLog } from './log-stream';
import { recoverLostTail } from './recovery';
import { writeSnapshot } from './snapshots';

export type RedisReplicationOptions = {
	/** The Redis server, e.g. `redis://127.0.0.1:6379` (a password goes in the URL: `redis://:secret@host:6379`). */
	url: string;
	/** The cluster: processes with the same Redis and name are one database. @default 'default' */
	name?: string;
	/**
	 * How long a write waits for the log to be reachable before it is refused with `UNAVAILABLE`
	 * (the client keeps it and sends it again), in ms. @default 10000
	 */
	unavailableAfterMs?: number;
	/** A snapshot of the data is written to Redis every this many log entries. @default 10000 */
	snapshotEvery?: number;
	/** How many entries before the latest snapshot the log keeps (for processes a little behind); older ones are trimmed. @default 10000 */
	retain?: number;
	/** How long the start waits for Redis, in ms. @default 5000 */
	connectTimeoutMs?: number;
};

/**
 * Makes server processes one database through a Redis Stream: the stream is the log, in the
 * database's order; every process appends the changes its hooks decided and applies every
 * entry in stream order. See docs/scale-out.md.
 *
 * @example
 * const server = SocketDBServer({ store: createLmdbStore({ path: './data' }), replication: redisReplication({ url: 'redis://127.0.0.1:6379' }) });
 */
export function redisReplication(options: RedisReplicationOptions): Replication {
	return new RedisReplication(options);
}

class RedisReplication implements Replication {
	private readonly keys: ClusterKeys;
	/** What the subscriber listens to: the appends' publications and the connection counts. */
	private readonly channels: string[];
	private readonly processId = globalThis.crypto.randomUUID();
	private commands: Redis | undefined;
	private appender: LogAppender | undefined;
	private follower: LogFollower | undefined;
	private appended: AppendedEntries | undefined;
	private subscriber: Redis | undefined;
	private stats: ClusterStats | undefined;
	private snapshotRevision = 0;
	private writingSnapshot = false;
	private stopped = false;
	private mending: Promise<void> = Promise.resolve();

	private readonly name: string;
	private readonly retain: number;

	constructor(private readonly options: RedisReplicationOptions) {
		this.name = options.name ?? 'default';
		this.retain = options.retain ?? 10_000;
		this.keys = clusterKeys(this.name);
		this.channels = [this.keys.changes, this.keys.stats];
	}

	async start(node: ReplicaNode): Promise<void> {
		const opened: Redis[] = [];
		const open = async () => {
			const redis = await connect(this.options);
			opened.push(redis);
			return redis;
		};
		try {
			// A subscribed connection takes no other commands: the published entries come on one of their own.
			const commands = (this.commands = await open());
			const subscriber = (this.subscriber = await open());
			// Subscribed before the log is read: nothing appended from then on goes unseen.
			await subscriber.subscribe(...this.channels);
			await this.joinDatabase(commands, node);
			this.snapshotRevision = Number((await commands.hget(this.keys.snapshot, 'revision')) ?? 0);
			const appended = (this.appended = new AppendedEntries(node, (entries) => this.appendAgain(node, entries)));
			const follower = (this.follower = new LogFollower(
				commands,
				this.keys,
				node,
				(revision) => this.applied(node, revision),
				() => this.mend(node),
				(last) => appended.logEndsAt(last),
			));
			this.appender = new LogAppender(commands, this.keys, this.options.unavailableAfterMs ?? 10_000, () => node.position?.revision ?? 0, () => this.mend(node));
			subscriber.on('message', (channel: string, message: string) => {
				if (channel === this.keys.changes) follower.publication(message);
				else this.stats?.received(message);
			});
			// Publications made while the connection was down are lost: once subscribed again, the stream has the entries, and the others repeat their counts.
			subscriber.on('ready', () => this.resubscribe(subscriber, follower, node));
			await this.follower.catchUp();
			this.follower.follow();
			this.stats = new ClusterStats(commands, this.keys, this.processId, (stats) => node.othersChanged(stats), (error) => node.report(error));
			this.stats.start();
		} catch (error) {
			for (const redis of opened) redis.disconnect();
			throw error;
		}
	}

	async append(entries: readonly LogEntry[]): Promise<void> {
		const revisions = await this.appender!.append(entries);
		this.appended?.logged(entries, revisions);
	}

	publishStats(stats: ConnectionStats): void {
		this.stats?.publish(stats);
	}

	async stop(): Promise<void> {
		if (this.stopped) return;
		this.stopped = true;
		this.appender?.stop();
		await this.follower?.stop();
		this.subscriber?.disconnect();
		await this.stats?.stop();
		await this.commands?.quit().catch(() => undefined);
	}

	/**
	 * Takes the cluster's database id, or makes this process's data the cluster's when the
	 * cluster is new. A store holding another database's data cannot join.
	 */
	private async joinDatabase(redis: Redis, node: ReplicaNode): Promise<void> {
		let position = node.position;
		// Data without a revision (a server on its own before revisions, an import) counts too.
		const holdsData = (position?.revision ?? 0) > 0 || !node.empty;
		// A Redis or a log this version cannot extend stops the start here, with a clear error.
		const version = /redis_version:(\d+)/.exec(await redis.info('server'))?.[1];
		if (version !== undefined && Number(version) < 7) throw new Error(`Redis ${version} is too old: the cluster's log needs Redis 7.0 or later`);
		await logEnds(redis, this.keys.log);
		let database = await redis.get(this.keys.database);
		if (database === null) {
			const id = position?.database ?? globalThis.crypto.randomUUID();
			if ((await redis.set(this.keys.database, id, 'NX')) === 'OK' && holdsData) {
				// A new cluster on a process that has data: the cluster starts from it, at revision 1 at least.
				node.setDatabase(id);
				if ((position?.revision ?? 0) === 0) node.load({ ...node.snapshot(), position: { revision: 1, database: id } });
				position = node.position!;
				await raiseLog(redis, this.keys, position.revision, id);
				await writeSnapshot(redis, this.keys, node, this.processId, this.retain);
				return;
			}
			database = (await redis.get(this.keys.database))!;
		}
		if (holdsData && position?.database !== database) {
			throw new Error(
				`the store holds data of ${position?.database === undefined ? 'a server that was not part of this cluster' : `another database (${position.database})`}; cluster "${this.name}" is database ${database}: start this process on an empty store`,
			);
		}
		node.setDatabase(database);
	}

	/**
	 * Subscribes again after a reconnect (done here, not by the client library, whose own
	 * resubscription fails unhandled when the connection drops again before Redis answers; the
	 * next reconnect then tries again).
	 */
	private resubscribe(subscriber: Redis, follower: LogFollower, node: ReplicaNode): void {
		if (this.stopped) return;
		subscriber.subscribe(...this.channels).then(
			() => {
				follower.readSoon();
				this.stats?.hello();
			},
			(error: unknown) => {
				if (subscriber.status === 'ready') node.report(new Error(`subscribing to the cluster's channels failed: ${(error as Error).message}`, { cause: error }));
			},
		);
	}

	/** Redis lost the end of the log (see `recoverLostTail`); one mending at a time. */
	private mend(node: ReplicaNode): Promise<void> {
		const run = () => {
			node.report(new Error(`Redis lost the end of the log (it restarted without it); putting back revision ${node.position?.revision ?? 0} and a snapshot of this process's data`));
			return recoverLostTail(this.commands!, this.keys, node, this.processId, this.retain, (entries) => this.append(entries));
		};
		this.mending = this.mending.then(run, run);
		return this.mending;
	}

	/** Logs again entries that Redis lost after logging them (see `AppendedEntries`), until they are logged. */
	private appendAgain(node: ReplicaNode, entries: LogEntry[]): void {
		if (this.stopped) return;
		node.report(new Error(`Redis lost ${entries.length} change(s) this process had logged before any process read them; logging them again`));
		this.append(entries).catch(() => setTimeout(() => this.appendAgain(node, entries), 1_000).unref());
	}

	/** Every so many entries, one process writes a snapshot and trims the log; entries of this process the log lost are found. */
	private applied(node: ReplicaNode, revision: number): void {
		this.appended?.applied(revision);
		const every = this.options.snapshotEvery ?? 10_000;
		if (this.writingSnapshot || this.stopped || revision - this.snapshotRevision < every) return;
		this.writingSnapshot = true;
		writeSnapshot(this.commands!, this.keys, node, this.processId, this.retain)
			.then(
				(written) => {
					// Written here, or by another process just now: either way none is due for a while.
					this.snapshotRevision = written ?? revision;
				},
				(error: unknown) => node.report(new Error(`writing the cluster's snapshot failed: ${(error as Error).message}`, { cause: error })),
			)
			.finally(() => (this.writingSnapshot = false));
	}
}

/**
 * A connection that fails fast while Redis is unreachable (the callers retry and time out
 * themselves). Subscriptions are renewed by their owner after a reconnect (see `resubscribe`).
 */
async function connect(options: RedisReplicationOptions): Promise<Redis> {
	const redis = new Redis(options.url, {
		lazyConnect: true,
		autoResubscribe: false,
		enableOfflineQueue: false,
		maxRetriesPerRequest: 0,
		protocol: 2,
		connectTimeout: options.connectTimeoutMs ?? 5_000,
		retryStrategy: (attempt) => Math.min(50 * attempt, 1_000),
	});
	// Connection errors show in the commands that fail; ioredis reconnects by itself.
	redis.on('error', () => undefined);
	try {
		await redis.connect();
	} catch (error) {
		redis.disconnect();
		throw new Error(`cannot reach Redis at ${withoutPassword(options.url)}: ${(error as Error).message}`, { cause: error });
	}
	return redis;
}

function withoutPassword(url: string): string {
	try {
		const parsed = new URL(url);
		if (parsed.password !== '') parsed.password = '***';
		return parsed.href;
	} catch {
		return url;
	}
}
