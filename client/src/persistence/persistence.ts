import type { ClientMessage, Meta } from '@socketdb/core';

/** A write message as the outbox keeps it: numbered. */
export type NumberedWrite = Extract<ClientMessage, { seq: number }>;

/** A subscribed path's last value as the client saw it from the server: its data and meta. */
export type CachedValue = { readonly data: unknown; readonly meta?: Meta | undefined };

/** What a page finds of the one before it. */
export type Restored = {
	/** The write session to go on with, and the writes of it still unanswered, in order; none on a first visit. */
	readonly writes?: { readonly session: string; readonly nextSeq: number; readonly pending: readonly NumberedWrite[] };
	/** The last values of the paths it subscribed to. */
	readonly values: ReadonlyMap<string, CachedValue>;
};

/**
 * Where a client keeps what must outlive the page: its write session and the writes not yet
 * answered (so that they are sent, exactly once, after a reload), and the last values of the
 * paths it subscribes to (shown at once on the next load). Every method but `open` is fire and
 * forget: a failure is the store's to report, and the client goes on in memory.
 */
export interface ClientPersistence {
	open(): Promise<Restored>;
	/** A write is ready to send; `nextSeq` is the session's next number. */
	writeReady(session: string, nextSeq: number, message: NumberedWrite): void;
	/** A write was answered (or dropped): it is no longer to be sent. */
	writeSettled(seq: number): void;
	/** The value the server holds at a subscribed path changed. */
	valueChanged(path: string, value: CachedValue | null): void;
}
