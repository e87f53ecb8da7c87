import { anchorAtPath, assertPath, assertRootObject, holdsServerValues, isObject, leafEquals, segmentsOf, SocketDBError, toError, toSocketDBError, unwrap, type LogPosition, type Node, type NodeDiff, type Store } from '@socketdb/core';
import { callHook, reportedClient, type HookHost, type HookSubject } from './call-hook';
import { ChangeHistory, type HistoryChange } from './change-history';
import { DurableFlush } from './durable-flush';
import type { FanOut } from './fanout';
import type { ReplicatedLog } from './replicated-log';
import { RevisionWaiters } from './revision-waiters';
import { resolveIncrements } from './server-values';
import { WriteDecisions } from './write-decisions';
import type { LogEntry, LoggedEntry, Origin, PathsUpdate } from './replication';
import type { ServerHooks } from './types';

/** The writer of changes the server makes itself (or another process took): hooks see a `client` whose every field is `null`. */
export const SERVER: HookSubject = Object.freeze({ client: Object.freeze({ id: null, context: null, close: null }) });

/**
 * One write, end to end on the server: the hooks, the store, then the change
 * going out to subscribers and to `server:change`.
 *
 * `update` and `delete` return synchronously when no hook is registered and the process is
 * the database on its own, so the common case costs no promise; otherwise they return a
 * promise. Either way a refused write throws (or rejects with) a `SocketDBError`.
 *
 * With a shared log (several processes, see `Replication`), the change the hooks decided is
 * logged instead of applied, and applied when the log hands it back, in log order, with the
 * log's revision; the write settles then.
 */
export class WritePath {
	/** The revision of the last change applied: one sequence for the database, kept with the store's data where the store keeps it. */
	revision: number;
	/** Where the last change applied stands in the shared log, if there is one. */
	private logPosition: string | undefined;
	/**
	 * The id of the database the revisions count in: a client holding a value as of some revision
	 * is sent the changes since only by a server of the same database (told in WELCOME).
	 * Replication sets the cluster's before the process serves.
	 */
	database: string;
	/** The latest changes applied, for clients that resume from a revision. */
	readonly history: ChangeHistory;
	/** False while the id is one made up at start (the store named none). */
	private databaseStored: boolean;
	private log: ReplicatedLog | undefined;
	/** Subscriptions waiting for this process to reach a revision a client held elsewhere (see `whenRevision`). */
	private readonly revisionWaiters = new RevisionWaiters();
	private readonly durable: DurableFlush;
	private readonly decisions: WriteDecisions;

	constructor(
		private readonly store: Store,
		private readonly fanout: FanOut,
		private readonly host: HookHost,
	) {
		const position = store.position?.();
		this.revision = position?.revision ?? 0;
		this.logPosition = position?.log;
		this.database = position?.database ?? globalThis.crypto.randomUUID();
		this.databaseStored = position?.database !== undefined;
		this.history = new ChangeHistory(this.revision);
		this.durable = new DurableFlush(store, (error) => host.report(error, {}));
		this.decisions = new WriteDecisions(host, store, (thrown, hook, writer, origin) => this.refusal(thrown, hook, writer, origin));
	}

	/**
	 * A process that is the database on its own starts serving. Subscribers see changes before
	 * they are durable, so a crash can take back revisions a client holds, and the revisions the
	 * next process hands out would then mean other changes. The store therefore keeps the
	 * database's id only while no process runs on it: it is dropped here (durably, before anyone
	 * is served: the promise returned) and recorded again by `close`, so a restart after a clean
	 * close is the same database and one after a crash a new one. A store whose data came from a
	 * shared log keeps its position as it is.
	 */
	open(): Promise<void> | undefined {
		if (!this.standalone || this.store.position?.()?.database === undefined) return undefined;
		this.store.setPosition?.({ revision: this.revision });
		return this.store.flush?.();
	}

	/** Records the database's id with the data, once nothing more is sent (see `open`). */
	close(): void {
		if (this.standalone) this.store.setPosition?.(this.position);
	}

	/**
	 * Takes the id of the database this process is part of. A store that already holds another
	 * database's data cannot join it: its revisions would mean nothing there. (An id made up at
	 * start, for a store that named none, is no database's.)
	 */
	setDatabase(id: string): void {
		if (this.databaseStored && this.database !== id && this.revision > 0) {
			throw new Error(`the store holds the data of another database (${this.database}, at revision ${this.revision}), not of this one (${id}); start from an empty store`);
		}
		if (this.database !== id) this.history.clear(this.revision);
		this.database = id;
		this.databaseStored = true;
		this.store.setPosition?.(this.position);
	}

	/** The position as the store had it, for a shared log: the database only when the store named one. */
	get storedPosition(): LogPosition {
		const { database, ...position } = this.position;
		return this.databaseStored ? { ...position, database } : position;
	}

	/** From now on changes go through `log`. */
	replicate(log: ReplicatedLog): void {
		this.log = log;
	}

	/**
	 * With a shared log, a client may come back from a process further along than this one: it holds
	 * `revision`, which this process has not applied yet. Resolves once it has, or after `timeoutMs`
	 * (the client then gets what this process has); undefined when there is nothing to wait for.
	 */
	whenRevision(revision: number, timeoutMs: number): Promise<void> | undefined {
		if (this.log === undefined || revision <= this.revision) return undefined;
		return this.revisionWaiters.wait(revision, timeoutMs);
	}

	/** The revision and log position of the data. */
	get position(): LogPosition {
		const position: LogPosition = { revision: this.revision, database: this.database };
		if (this.logPosition !== undefined) position.log = this.logPosition;
		return position;
	}

	/**
	 * `origin` names a client's write (session and number); the server's own writes have none.
	 * `serverValues`: the diff holds server values (`increment()`, `serverTimestamp()`).
	 */
	update(data: NodeDiff, writer: HookSubject, origin?: Origin, queued?: () => void, serverValues = false): void | Promise<unknown> {
		const decided = this.decisions.update(data, serverValues, writer, origin);
		if (decided instanceof Promise) return decided.then((final) => this.commitUpdate(final, writer, origin, queued, serverValues));
		return this.commitUpdate(decided, writer, origin, queued, serverValues);
	}

	delete(path: string, writer: HookSubject, origin?: Origin, queued?: () => void): void | Promise<unknown> {
		const decided = this.decisions.delete(path, writer, origin);
		if (decided instanceof Promise) return decided.then((final) => this.commitDelete(final, writer, origin, queued));
		return this.commitDelete(decided, writer, origin, queued);
	}

	/**
	 * Several paths as one write (`ref.update`), decided by the hooks as one (see
	 * `WriteDecisions.paths`) and applied with one revision: the deletes, then the merge.
	 */
	updatePaths(change: PathsUpdate, writer: HookSubject, origin?: Origin, queued?: () => void, serverValues = false): void | Promise<unknown> {
		const decided = this.decisions.paths(change, serverValues, writer, origin);
		if (decided instanceof Promise) return decided.then((final) => this.commitPaths(final, writer, origin, queued, serverValues));
		this.commitPaths(decided, writer, origin, queued, serverValues);
	}

	/**
	 * Runs the hooks `updatePaths` would run for `change` and applies nothing (an `onDisconnect`
	 * write being registered): undefined or a promise when they accept it; a refusal throws or rejects.
	 */
	check(change: PathsUpdate, writer: HookSubject): void | Promise<void> {
		const decided = this.decisions.paths(change, change.data !== undefined && holdsServerValues(change.data), writer, undefined);
		if (decided instanceof Promise) return decided.then(() => undefined);
	}

	/**
	 * A compare-and-set (`ref.transaction`): while `path` holds `expected` when the write is
	 * applied, its value becomes `node` (replaced; deleted when there is none), decided by
	 * `server:update` (or `server:delete`) like a `set`. Settles with the value committed at
	 * `path`, or fails with `CONFLICT` and the value the path holds.
	 */
	transaction({ path, expected, node }: { path: string; expected: unknown; node?: NodeDiff }, writer: HookSubject, origin?: Origin, queued?: () => void, serverValues = false): Committed | Promise<Committed> {
		const expect = { path, value: expected };
		const commit = (change: PathsUpdate) => {
			const committed = this.commitPaths(change, writer, origin, queued, serverValues);
			return committed instanceof Promise ? committed.then((value) => ({ value })) : { value: committed };
		};
		if (node === undefined) {
			const decided = this.decisions.delete(path, writer, origin);
			return decided instanceof Promise ? decided.then((final) => commit({ deleted: [final], expect })) : commit({ deleted: [decided], expect });
		}
		const decided = this.decisions.update(anchorAtPath(segmentsOf(path), node), serverValues, writer, origin, path);
		return decided instanceof Promise ? decided.then((data) => commit({ data, deleted: [path], expect })) : commit({ data: decided, deleted: [path], expect });
	}

	/** Applies an entry of the shared log (see `ReplicatedLog`). */
	applyLogged(entry: LoggedEntry, writer: HookSubject): unknown {
		if (entry.kind === 'update') this.applyUpdate(entry.data, writer, holdsServerValues(entry.data), entry);
		else if (entry.kind === 'delete') this.applyDelete(entry.path, writer, entry);
		else if (entry.kind === 'paths') return this.applyPaths(entry, writer, entry.data !== undefined && holdsServerValues(entry.data), entry);
		else this.skip(entry);
		return undefined;
	}

	/** A logged entry that changes nothing here: the data is as of its revision all the same. */
	skip(entry: LoggedEntry): void {
		this.advance(entry);
	}

	/** Replaces the data with a snapshot of the database at `position`. */
	load(root: Node, position: LogPosition): void {
		this.store.del('');
		// An empty object (left by deleting its last child) is data too, but a diff cannot create one:
		// it is made as it was made, by adding a child and deleting it. `constructor` is a key no client can write.
		for (const segments of emptyObjects(root, [])) {
			this.store.put(anchorAtPath(segments, { value: { constructor: { value: true } } }) as Node);
			this.store.del([...segments, 'constructor'].join('/'));
		}
		if (root.meta !== undefined || (isObject(root.value) && Object.keys(root.value).length > 0)) this.store.put(root);
		this.revision = position.revision;
		this.logPosition = position.log;
		this.history.clear(this.revision);
		this.store.setPosition?.(this.position);
		this.fanout.publishDelete('', this.revision);
		if (isObject(root.value)) this.fanout.publishChange(root, undefined, this.revision);
		this.revisionWaiters.reached(this.revision);
	}

	/** Calls `done` once everything written so far is durable (see `DurableFlush`). */
	afterDurable(done: (error?: SocketDBError) => void): void {
		this.durable.after(done);
	}

	private commitUpdate(data: NodeDiff, writer: HookSubject, origin: Origin | undefined, queued: (() => void) | undefined, serverValues: boolean): void | Promise<unknown> {
		// A `server:update` hook may have returned anything.
		assertRootObject(data);
		if (data.value !== undefined) assertRootObject(data.value);
		if (this.log !== undefined) return this.submit({ origin: origin ?? this.log.serverOrigin(), kind: 'update', data }, writer, queued);
		this.applyUpdate(data, writer, serverValues);
	}

	private commitDelete(path: string, writer: HookSubject, origin: Origin | undefined, queued: (() => void) | undefined): void | Promise<unknown> {
		// Checked again: a `server:delete` hook may have returned another path.
		assertPath(path);
		if (this.log !== undefined) return this.submit({ origin: origin ?? this.log.serverOrigin(), kind: 'delete', path }, writer, queued);
		this.applyDelete(path, writer);
	}

	private commitPaths(change: PathsUpdate, writer: HookSubject, origin: Origin | undefined, queued: (() => void) | undefined, serverValues: boolean): unknown {
		// Checked again: hooks may have returned anything.
		if (change.data !== undefined) {
			assertRootObject(change.data);
			if (change.data.value !== undefined) assertRootObject(change.data.value);
		}
		for (const path of change.deleted) assertPath(path);
		if (this.log !== undefined) return this.submit({ origin: origin ?? this.log.serverOrigin(), kind: 'paths', ...change }, writer, queued);
		return this.applyPaths(change, writer, serverValues);
	}

	/** Hands a change to the log; `queued` hears that it is in line (the log keeps the order). */
	private submit(entry: LogEntry, writer: HookSubject, queued: (() => void) | undefined): Promise<unknown> {
		const applied = this.log!.submit(entry, writer);
		queued?.();
		return applied;
	}

	/** `serverValues`: the increments in `data` are filled in now, from the data as it is. */
	private applyUpdate(written: NodeDiff, writer: HookSubject, serverValues: boolean, logged?: LoggedEntry): void {
		let applied: NodeDiff;
		const data = serverValues ? resolveIncrements(written, this.store) : written;
		const probe = this.fanout.probeKeys(data, this.store);
		try {
			applied = this.store.put(data as Node);
		} catch (error) {
			throw this.storeFailure(error, writer, 'the store failed to apply the write', logged);
		}
		if (!hasChange(applied)) {
			if (logged !== undefined) this.advance(logged);
			return;
		}
		const revision = this.advance(logged, { diff: applied });
		this.fanout.publishChange(applied, probe, revision);
		this.emitChange({ revision, data: applied as Node }, writer);
	}

	private applyDelete(path: string, writer: HookSubject, logged?: LoggedEntry): void {
		try {
			this.store.del(path);
		} catch (error) {
			throw this.storeFailure(error, writer, 'the store failed to apply the delete', logged);
		}
		const revision = this.advance(logged, { deleted: path });
		this.fanout.publishDelete(path, revision);
		this.emitChange({ revision, deleted: path }, writer);
	}

	/** Returns the value a transaction (`expect`) committed at its path. */
	private applyPaths({ data: written, deleted, expect }: PathsUpdate, writer: HookSubject, serverValues: boolean, logged?: LoggedEntry): unknown {
		if (expect !== undefined) {
			const current = plainValueAt(this.store, expect.path);
			if (!leafEquals(current, expect.value)) {
				if (logged !== undefined) this.advance(logged);
				throw new SocketDBError('CONFLICT', `"${expect.path}" changed since the transaction read it`, { value: current });
			}
		}
		let applied: NodeDiff | undefined;
		let probe: ReturnType<FanOut['probeKeys']> | undefined;
		try {
			for (const path of deleted) this.store.del(path);
			// Increments count from the data after the deletes, as the write's values land there.
			const data = serverValues && written !== undefined ? resolveIncrements(written, this.store) : written;
			if (data !== undefined) {
				probe = this.fanout.probeKeys(data, this.store);
				applied = this.store.put(data as Node);
			}
		} catch (error) {
			throw this.storeFailure(error, writer, 'the store failed to apply the update', logged);
		}
		const changes: HistoryChange[] = deleted.map((path) => ({ deleted: path }));
		if (applied !== undefined && hasChange(applied)) changes.push({ diff: applied });
		if (changes.length === 0) {
			if (logged !== undefined) this.advance(logged);
		} else {
			const revision = this.advance(logged, ...changes);
			for (const path of deleted) this.fanout.publishDelete(path, revision);
			if (changes.at(-1)!.diff !== undefined) this.fanout.publishChange(applied!, probe, revision);
			for (const path of deleted) this.emitChange({ revision, deleted: path }, writer);
			if (changes.at(-1)!.diff !== undefined) this.emitChange({ revision, data: applied as Node }, writer);
		}
		return expect === undefined ? undefined : plainValueAt(this.store, expect.path);
	}

	/**
	 * The next revision (the logged entry's, with a shared log), recorded with the store's data
	 * and, with the changes it brought (none for an entry that changes nothing here), in the history.
	 */
	private advance(logged?: LoggedEntry, ...changes: HistoryChange[]): number {
		if (logged === undefined) this.revision++;
		else {
			this.revision = logged.revision;
			this.logPosition = logged.log;
		}
		this.store.setPosition?.(this.standalone ? { revision: this.revision } : this.position);
		if (changes.length === 0) this.history.skip(this.revision);
		else this.history.record(this.revision, ...changes);
		this.revisionWaiters.reached(this.revision);
		return this.revision;
	}

	/** The database on its own: no shared log now, nor one that the data came from. */
	private get standalone(): boolean {
		return this.log === undefined && this.logPosition === undefined;
	}

	private emitChange(change: { revision: number; data?: Node; deleted?: string }, writer: HookSubject): void {
		callHook(this.host, 'server:change', change, writer);
	}

	/**
	 * A store's own refusal (a `SocketDBError`: it wrote nothing) reaches the writer as it is;
	 * anything else is an internal error, after which what the store holds is not known, so the
	 * history starts over.
	 */
	private storeFailure(error: unknown, writer: HookSubject, message: string, logged: LoggedEntry | undefined): SocketDBError {
		if (logged !== undefined) this.advance(logged);
		this.host.report(toError(error), { client: reportedClient(writer.client) });
		if (error instanceof SocketDBError) return error;
		this.history.clear(this.revision);
		return new SocketDBError('INTERNAL_ERROR', message);
	}

	private refusal(thrown: unknown, hook: keyof ServerHooks, writer: HookSubject, origin: Origin | undefined): SocketDBError {
		const error = toSocketDBError(thrown);
		this.host.report(error, { hook, client: reportedClient(writer.client) });
		// Logged, so that a resend of this write to another process gets the same refusal.
		if (origin !== undefined) this.log?.refuse(origin, error);
		return error;
	}
}

/** What a transaction compares: the plain value at `path`, `null` when there is none. */
function plainValueAt(store: Store, path: string): unknown {
	const node = store.get(path);
	return node === null || node.value === undefined ? null : unwrap(node);
}

/** What a transaction settles with: the value it committed. */
export type Committed = { value: unknown };

/** The paths (as segments) of the empty objects below `node`. */
function* emptyObjects(node: Node, at: string[]): Generator<string[]> {
	if (!isObject(node.value)) return;
	let empty = true;
	for (const [key, child] of Object.entries(node.value as Record<string, Node>)) {
		empty = false;
		yield* emptyObjects(child, [...at, key]);
	}
	if (empty && at.length > 0) yield at;
}

function hasChange(diff: NodeDiff): boolean {
	if (diff.meta !== undefined) return true;
	const value = diff.value;
	if (!isObject(value)) return value !== undefined;
	for (const _ in value) return true;
	return false;
}

