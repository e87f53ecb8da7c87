import { holdsServerValues, MessageType, WriteOutcome, type ClientMessage, type SocketDBError } from '@socketdb/core';
import { removeFrom } from './fifo-map';

export type WriteMessage = Extract<ClientMessage, { seq: number }>;
/** A write's message before it has its number. */
export type UnnumberedWrite = WriteMessage extends infer M ? (M extends WriteMessage ? Omit<M, 'seq'> : never) : never;

/** One write on its way: numbered when made, sent once its hooks ran, kept until the server answers. */
export type OutboxEntry = {
	/** Fixed once the write is sent; `Outbox.restore` may renumber a write not sent yet. */
	seq: number;
	/** `carried`: sent inside a later write to its path (see `WRITE_WINDOW`), answered with it. */
	state: 'hooks' | 'ready' | 'sent' | 'carried';
	message: WriteMessage | undefined;
	readonly outcome: WriteOutcome;
	/** Hears what a transaction committed, from its ACK. */
	committed?: (value: unknown) => void;
	/** The earlier writes this one carries, answered with it. */
	carries?: OutboxEntry[];
};

/**
 * Writes a connection may have unanswered before further writes wait, when the server lets
 * waiting writes combine. Past it, writes wait until half of them are answered; then those that
 * waited go together, each `set` carried by the latest `set` to its path.
 */
export const WRITE_WINDOW = 500;

/** The combining code, loaded once a server allows combining (a chunk of its own in the browser bundle). */
let combining: typeof import('./write-combining') | undefined;

/** Told of writes as they become ready to send and as they stop waiting (answered or dropped): what persistence keeps. */
export type OutboxObserver = { ready(entry: OutboxEntry & { message: WriteMessage }, nextSeq: number): void; settled(seq: number): void };

/**
 * Writes not yet acknowledged, in the order they were made. They survive disconnects:
 * after a reconnect every unacknowledged write is sent again (the server applies each
 * at most once), so nothing written offline or in flight is lost.
 */
export class Outbox {
	/** By sequence number; a Map iterates in insertion order, which is write order (see `removeFrom`). */
	#entries = new Map<number, OutboxEntry>();
	/** Entries not sent on the current connection yet, in order (`unsentHead` is the first). */
	#unsent: OutboxEntry[] = [];
	#unsentHead = 0;
	#nextSeq = 1;
	/** Entries sent on this connection, each in its own message, not answered yet. */
	#awaitingAnswers = 0;
	/** Writes wait for answers (see `WRITE_WINDOW`). */
	#holding = false;
	#combine = false;

	/**
	 * Whether the server lets writes that waited combine (told in its welcome): only then do writes
	 * wait behind the window. Without it every write is sent as soon as its hooks ran.
	 */
	allowCombining(allowed: boolean): void {
		this.#combine = allowed;
		if (allowed && combining === undefined) void import('./write-combining').then((module) => (combining = module));
	}

	readonly #observer?: OutboxObserver;

	constructor(observer?: OutboxObserver) {
		this.#observer = observer;
	}

	/** Writes still waiting for the server's answer. */
	get size(): number {
		return this.#entries.size;
	}

	create(): OutboxEntry {
		const entry: OutboxEntry = { seq: this.#nextSeq++, state: 'hooks', message: undefined, outcome: new WriteOutcome() };
		this.#add(entry);
		return entry;
	}

	ready(entry: OutboxEntry, message: UnnumberedWrite): void {
		// Built field by field: spreading plus one field costs far more on this hot path.
		if (message.type === MessageType.UPDATE || message.type === MessageType.TRANSACTION || message.type === MessageType.ON_DISCONNECT) entry.message = { ...message, seq: entry.seq } as WriteMessage;
		else entry.message = (message.type === MessageType.SET ? { type: message.type, seq: entry.seq, path: message.path, node: (message as unknown as { node: unknown }).node } : { type: message.type, seq: entry.seq, path: message.path }) as WriteMessage;
		entry.state = 'ready';
		this.#observer?.ready(entry as OutboxEntry & { message: WriteMessage }, this.#nextSeq);
	}

	/**
	 * Takes back the writes an earlier page of this client left unanswered (numbered in its write
	 * session, which this client goes on with), ahead of the writes made since, which are numbered
	 * again after them. Call it before anything was sent.
	 */
	restore(pending: readonly WriteMessage[], nextSeq: number): void {
		const made = [...this.#entries.values()];
		this.#entries.clear();
		this.#unsent = [];
		this.#unsentHead = 0;
		for (const message of pending) this.#add({ seq: message.seq, state: 'ready', message, outcome: new WriteOutcome() });
		this.#nextSeq = Math.max(nextSeq, this.#nextSeq);
		for (const entry of made) {
			entry.seq = this.#nextSeq++;
			if (entry.message !== undefined) entry.message = { ...entry.message, seq: entry.seq };
			this.#add(entry);
		}
	}

	/** Tells the observer of every write ready and waiting (one that started listening after they were made). */
	announce(): void {
		for (const entry of this.#entries.values()) if (entry.message !== undefined) this.#observer?.ready(entry as OutboxEntry & { message: WriteMessage }, this.#nextSeq);
	}

	#add(entry: OutboxEntry): void {
		this.#entries.set(entry.seq, entry);
		this.#unsent.push(entry);
	}

	/**
	 * Sends ready writes in order, stopping at the first write whose hooks still run.
	 * `send` returns false for a write it refused instead (and settled itself).
	 */
	flush(send: (entry: OutboxEntry & { message: WriteMessage }) => boolean): void {
		if (this.#combine && this.#unsentHead < this.#unsent.length) {
			if (this.#awaitingAnswers >= WRITE_WINDOW) this.#holding = true;
			if (this.#holding) {
				if (this.#awaitingAnswers > WRITE_WINDOW / 2) return;
				this.#holding = false;
				this.#combineWaiting();
			}
		}
		while (this.#unsentHead < this.#unsent.length) {
			const entry = this.#unsent[this.#unsentHead]!;
			if (this.#entries.get(entry.seq) === entry) {
				if (entry.state === 'hooks') break;
				if (entry.state === 'ready' && send(entry as OutboxEntry & { message: WriteMessage })) {
					entry.state = 'sent';
					this.#awaitingAnswers++;
				}
			}
			this.#unsentHead++;
		}
		// Sent entries leave the list soon: kept there, writes would outlive their answers.
		if (this.#unsentHead * 2 > this.#unsent.length) {
			this.#unsent = this.#unsent.slice(this.#unsentHead);
			this.#unsentHead = 0;
		}
	}

	/**
	 * Every sent write goes back to ready, to be sent again on the next connection; carried writes
	 * go on their own again (a carrier keeps its combined message, which has the same effect after them).
	 */
	connectionLost(): void {
		for (const entry of this.#entries.values()) {
			if (entry.state === 'sent' || entry.state === 'carried') entry.state = 'ready';
			delete entry.carries;
		}
		this.#unsent = [...this.#entries.values()];
		this.#unsentHead = 0;
		this.#awaitingAnswers = 0;
		this.#holding = false;
	}

	/**
	 * The write succeeded, and so did the writes it carried; a transaction's ACK says what it
	 * committed. Returns the numbers of the writes settled, carried ones first.
	 */
	acknowledge(seq: number, committed?: { value: unknown }): number[] {
		return this.#settle(seq, (entry) => {
			// Only transactions hear what they committed, and they are never carried.
			if (committed !== undefined) entry.committed?.(committed.value);
			entry.outcome.resolve();
		});
	}

	/**
	 * The server could not take the write now (`UNAVAILABLE`): it is kept, and sent again with the
	 * next flush. False when the write is no longer waiting.
	 */
	retry(seq: number): boolean {
		const entry = this.#entries.get(seq);
		if (entry === undefined) return false;
		if (entry.state === 'sent') this.#awaitingAnswers--;
		entry.state = 'ready';
		this.#unsent.push(entry);
		return true;
	}

	/**
	 * The write failed, and so did the writes it carried. Returns the numbers of the writes settled
	 * (carried ones first) and how many of them nobody observes, for the caller to report.
	 */
	fail(seq: number, error: SocketDBError): { settled: number[]; unobserved: number } {
		let unobserved = 0;
		const settled = this.#settle(seq, (entry) => void (entry.outcome.reject(error) || unobserved++));
		return { settled, unobserved };
	}

	/**
	 * Drops a write before it is sent: one its hooks refused (rejected with `error`; false when
	 * nobody observes that), or one that would change nothing (resolved).
	 */
	drop(entry: OutboxEntry, error?: SocketDBError): boolean {
		this.#take(entry.seq);
		if (error !== undefined) return entry.outcome.reject(error);
		entry.outcome.resolve();
		return true;
	}

	/** Fails every write (the client can never deliver them). */
	failAll(error: SocketDBError): OutboxEntry[] {
		const unobserved: OutboxEntry[] = [];
		const entries = [...this.#entries.values()];
		this.#entries.clear();
		for (const entry of entries) {
			this.#observer?.settled(entry.seq);
			if (!entry.outcome.reject(error)) unobserved.push(entry);
		}
		return unobserved;
	}

	/** The writes not answered yet, in write order (`message` is set once their hooks ran). */
	unanswered(): Iterable<OutboxEntry> {
		return this.#entries.values();
	}

	/** Highest sequence number below which every write is settled (sent in the handshake). */
	settledThrough(): number {
		const first = this.#entries.values().next().value;
		return first === undefined ? this.#nextSeq - 1 : first.seq - 1;
	}

	#take(seq: number): OutboxEntry | undefined {
		const entry = this.#entries.get(seq);
		if (entry === undefined) return undefined;
		if (entry.state === 'sent') this.#awaitingAnswers--;
		this.#entries = removeFrom(this.#entries, seq);
		this.#observer?.settled(seq);
		return entry;
	}

	/** Takes the write `seq` and the writes it carries out of the outbox, settles each (carried ones first) and returns their numbers. */
	#settle(seq: number, each: (entry: OutboxEntry) => void): number[] {
		const entry = this.#take(seq);
		const settled: number[] = [];
		for (const taken of entry === undefined ? [] : [...(entry.carries ?? []), entry]) {
			if (taken !== entry && this.#take(taken.seq) === undefined) continue;
			each(taken);
			settled.push(taken.seq);
		}
		return settled;
	}

	/**
	 * The writes waiting to be sent, each `set` carried by the latest `set` to its path where it can
	 * be (see `combineOutbox`); until the code that does so has loaded, they go as they are.
	 */
	#combineWaiting(): void {
		combining?.combineOutbox(this.#unsent.slice(this.#unsentHead), (entry) => this.#entries.get(entry.seq) === entry, MessageType.SET, holdsServerValues);
	}
}
