import type { ConnectionState, Unsubscriber } from './types';

type Entry = { callback: (state: ConnectionState) => void; last: ConnectionState; active: boolean };

/**
 * The callbacks of `onConnectionState`. Each gets the current state when added, then every
 * change, never the same state twice in a row, also when a callback connects or disconnects
 * while the others are being called.
 */
export class ConnectionStateListeners {
	readonly #entries = new Set<Entry>();

	readonly #current: () => ConnectionState;

	constructor(current: () => ConnectionState) {
		this.#current = current;
	}

	add(callback: (state: ConnectionState) => void): Unsubscriber {
		const state = this.#current();
		callback(state);
		const entry: Entry = { callback, last: state, active: true };
		this.#entries.add(entry);
		return () => {
			entry.active = false;
			this.#entries.delete(entry);
		};
	}

	/** The session's state may have changed: tells every callback whose last state differs. */
	update(): void {
		for (const entry of [...this.#entries]) {
			// Read again for each: a callback may have connected or disconnected meanwhile, and
			// then the others have been told the newer state already.
			const state = this.#current();
			if (!entry.active || entry.last === state) continue;
			entry.last = state;
			try {
				entry.callback(state);
			} catch (error) {
				// The session is in the middle of a transition: a throw here would leave it half done.
				// Thrown again on its own, as an uncaught error of the callback.
				queueMicrotask(() => {
					throw error;
				});
			}
		}
	}
}
