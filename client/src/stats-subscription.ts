import { MessageType, type ClientMessage, type ConnectionStats } from '@socketdb/core';

/**
 * `subscribeStats` callbacks: one server subscription for all of them, asked for again after
 * every reconnect. The server sends the current stats, then every change; a client it does not
 * authorize gets a `FORBIDDEN` error instead, and the callbacks are never called.
 */
export class StatsSubscription {
	readonly #callbacks = new Set<(stats: ConnectionStats) => void>();
	#latest: ConnectionStats | undefined;

	readonly #send: (message: ClientMessage) => void;

	constructor(send: (message: ClientMessage) => void) {
		this.#send = send;
	}

	add(callback: (stats: ConnectionStats) => void): () => void {
		const entry = (stats: ConnectionStats) => callback(stats);
		this.#callbacks.add(entry);
		if (this.#callbacks.size === 1) this.#send({ type: MessageType.SUBSCRIBE_STATS });
		else if (this.#latest !== undefined) {
			const latest = this.#latest;
			queueMicrotask(() => this.#callbacks.has(entry) && entry(latest));
		}
		return () => {
			if (!this.#callbacks.delete(entry) || this.#callbacks.size > 0) return;
			this.#latest = undefined;
			this.#send({ type: MessageType.UNSUBSCRIBE_STATS });
		};
	}

	/** After a (re)connect: ask again. */
	resubscribe(): void {
		if (this.#callbacks.size > 0) this.#send({ type: MessageType.SUBSCRIBE_STATS });
	}

	received(stats: ConnectionStats): void {
		if (this.#callbacks.size === 0) return;
		const latest: ConnectionStats = { total: stats.total, versions: Object.freeze({ ...stats.versions }), routes: Object.freeze({ ...stats.routes }) };
		if (stats.queries !== undefined) latest.queries = Object.freeze({ ...stats.queries });
		Object.freeze(latest);
		this.#latest = latest;
		for (const callback of [...this.#callbacks]) callback(latest);
	}
}
