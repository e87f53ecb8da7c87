/** How long a path stays kept for the client whose transaction on it conflicted (ms). */
export const TURN_MS = 500;

type PathTurns = {
	/** The session whose transaction on the path runs now. */
	running: string | undefined;
	/** The session the path is kept for: its transaction conflicted, and its retry comes next. */
	keptFor: string | undefined;
	keptUntil: number;
	timer: ReturnType<typeof setTimeout> | undefined;
	waiting: { session: string; go: () => void }[];
};

/**
 * Turns for transactions on one path, so that under contention every client gets its commit in
 * a few attempts instead of losing the race again and again. Transactions on a path run one at a
 * time, in the order they arrive; one that conflicts keeps the path for its client, whose retry
 * then runs before the transactions that arrived meanwhile (which were computed from a value
 * just as stale), for at most TURN_MS. Other writes to the path are not held.
 */
export class TransactionTurns {
	private readonly paths = new Map<string, PathTurns>();

	/** Undefined when `session` may run its transaction on `path` now; otherwise resolves when it may. */
	take(path: string, session: string): Promise<void> | undefined {
		let turns = this.paths.get(path);
		if (turns === undefined) this.paths.set(path, (turns = { running: undefined, keptFor: undefined, keptUntil: 0, timer: undefined, waiting: [] }));
		if (this.mayRun(turns, session)) {
			turns.running = session;
			return undefined;
		}
		return new Promise((resolve) => turns.waiting.push({ session, go: resolve }));
	}

	/** `session`'s transaction on `path` is done; `conflicted`: it did not commit because the path had changed. */
	done(path: string, session: string, conflicted: boolean): void {
		const turns = this.paths.get(path);
		if (turns === undefined || turns.running !== session) return;
		turns.running = undefined;
		clearTimeout(turns.timer);
		turns.timer = undefined;
		if (conflicted) {
			turns.keptFor = session;
			turns.keptUntil = performance.now() + TURN_MS;
			turns.timer = setTimeout(() => this.release(path, turns), TURN_MS);
			(turns.timer as { unref?: () => void }).unref?.();
		} else if (turns.keptFor === session) turns.keptFor = undefined;
		this.next(path, turns);
	}

	private release(path: string, turns: PathTurns): void {
		turns.timer = undefined;
		turns.keptFor = undefined;
		this.next(path, turns);
	}

	private mayRun(turns: PathTurns, session: string): boolean {
		if (turns.running !== undefined) return false;
		return turns.keptFor === undefined || turns.keptFor === session || performance.now() >= turns.keptUntil;
	}

	/** Starts the next transaction that may run: the kept-for client's first, else the oldest. */
	private next(path: string, turns: PathTurns): void {
		if (turns.running !== undefined) return;
		let index = turns.keptFor === undefined ? -1 : turns.waiting.findIndex((waiter) => waiter.session === turns.keptFor);
		if (index === -1 && (turns.keptFor === undefined || performance.now() >= turns.keptUntil)) index = turns.waiting.length > 0 ? 0 : -1;
		if (index === -1) {
			if (turns.keptFor === undefined && turns.waiting.length === 0) this.paths.delete(path);
			return;
		}
		const [waiter] = turns.waiting.splice(index, 1);
		turns.running = waiter!.session;
		waiter!.go();
	}
}
