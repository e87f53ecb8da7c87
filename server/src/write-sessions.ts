import type { SocketDBError } from '@socketdb/core';
import { SerialQueue } from './serial-queue';

/**
 * A client's writes across reconnects. The client numbers its writes and resends
 * unacknowledged ones after a reconnect; the session makes that safe: a write is
 * applied at most once, and a resent write whose outcome is known gets it again.
 */
export class WriteSession {
	/** Highest sequence number received. */
	lastSeq = 0;
	/** Writes received but not yet settled (created on first use, like the refusals). */
	private inFlight: Set<number> | undefined;
	/** Reads waiting for the writes received before them (see `whenSettled`). */
	private settledWaiters: { through: number; resolve: () => void }[] | undefined;
	/** Refusals not yet confirmed by the client (a resend must see the same refusal). */
	private refusals: Map<number, SocketDBError> | undefined;
	/** Writes answered `UNAVAILABLE`: not decided, so their resend is taken as new. */
	private retries: Set<number> | undefined;
	/** Orders this client's writes and reads, so it always reads its own writes. */
	readonly queue = new SerialQueue();
	/** The connection that answers for this session now, if any. */
	owner: object | undefined;
	releasedAt = 0;

	constructor(readonly id: string) {}

	started(seq: number): void {
		(this.inFlight ??= new Set()).add(seq);
	}

	settled(seq: number): void {
		this.inFlight?.delete(seq);
		if (this.settledWaiters !== undefined) this.wakeSettledWaiters();
	}

	/**
	 * Resolves once every write up to `through` (by default, every write received so far) has
	 * settled; undefined when none is running.
	 */
	whenSettled(through = this.lastSeq): Promise<void> | undefined {
		if (this.oldestInFlight() > through) return undefined;
		return new Promise((resolve) => (this.settledWaiters ??= []).push({ through, resolve }));
	}

	private oldestInFlight(): number {
		let oldest = Infinity;
		for (const seq of this.inFlight ?? []) if (seq < oldest) oldest = seq;
		return oldest;
	}

	private wakeSettledWaiters(): void {
		const oldest = this.oldestInFlight();
		this.settledWaiters = this.settledWaiters!.filter((waiter) => {
			if (waiter.through >= oldest) return true;
			waiter.resolve();
			return false;
		});
		if (this.settledWaiters.length === 0) this.settledWaiters = undefined;
	}

	isInFlight(seq: number): boolean {
		return this.inFlight?.has(seq) === true;
	}

	/** True while some write is still running. */
	get busy(): boolean {
		return this.inFlight !== undefined && this.inFlight.size > 0;
	}

	/** The write could not be logged: the client sends it again, and that resend is taken. */
	allowRetry(seq: number): void {
		(this.retries ??= new Set()).add(seq);
	}

	/**
	 * True while an earlier write than `seq` waits to be sent again (answered `UNAVAILABLE`): a later
	 * write must not be applied before it, or the client's order would be lost.
	 */
	retryPendingBefore(seq: number): boolean {
		if (this.retries === undefined) return false;
		for (const pending of this.retries) if (pending < seq) return true;
		return false;
	}

	/** True (once) for a resend of a write answered `UNAVAILABLE`. */
	takeRetry(seq: number): boolean {
		return this.retries?.delete(seq) === true;
	}

	refusalOf(seq: number): SocketDBError | undefined {
		return this.refusals?.get(seq);
	}

	/** Forgets refusals the client confirmed. */
	confirmThrough(seq: number): void {
		if (this.refusals === undefined) return;
		for (const key of this.refusals.keys()) if (key <= seq) this.refusals.delete(key);
	}

	rememberRefusal(seq: number, error: SocketDBError, max: number): void {
		const refusals = (this.refusals ??= new Map());
		refusals.set(seq, error);
		if (refusals.size > max) {
			const oldest = refusals.keys().next().value;
			if (oldest !== undefined) refusals.delete(oldest);
		}
	}
}

export type WriteSessionOptions = {
	/** How long a session outlives its last connection. @default 300000 (5 minutes) */
	ttlMs: number;
	/** Most sessions kept; the longest-released ones go first. @default 100000 */
	maxSessions: number;
	/** Most unconfirmed refusals kept per session. @default 10000 */
	maxRefusals: number;
};

/** All write sessions of a server, keyed by the id each client generates for itself. */
export class WriteSessions {
	private readonly sessions = new Map<string, WriteSession>();

	constructor(readonly options: WriteSessionOptions) {}

	has(id: string): boolean {
		return this.sessions.has(id);
	}

	/** Takes over (or starts) the session `id` for `owner`. */
	attach(id: string, owner: object, confirmedThrough: number): WriteSession {
		const existing = this.sessions.get(id);
		const session = existing ?? new WriteSession(id);
		// Owned before any eviction, so that a new session never makes room by evicting itself.
		session.owner = owner;
		if (existing === undefined) {
			this.sessions.set(id, session);
			this.evictOverflow();
		}
		session.confirmThrough(confirmedThrough);
		return session;
	}

	/** The connection that holds session `id` now, if one does. */
	ownerOf(id: string): object | undefined {
		return this.sessions.get(id)?.owner;
	}

	release(session: WriteSession, owner: object): void {
		if (session.owner !== owner) return;
		session.owner = undefined;
		session.releasedAt = Date.now();
		// Released sessions sit at the end in release order, so eviction takes the longest-released first.
		this.sessions.delete(session.id);
		this.sessions.set(session.id, session);
	}

	/** Drops sessions released longer than the TTL ago. */
	sweep(now = Date.now()): void {
		for (const [id, session] of this.sessions) {
			if (session.owner === undefined && !session.busy && now - session.releasedAt > this.options.ttlMs) this.sessions.delete(id);
		}
	}

	get size(): number {
		return this.sessions.size;
	}

	private evictOverflow(): void {
		if (this.sessions.size <= this.options.maxSessions) return;
		for (const [id, session] of this.sessions) {
			if (session.owner === undefined && !session.busy) {
				this.sessions.delete(id);
				if (this.sessions.size <= this.options.maxSessions) return;
			}
		}
	}
}
