import { isChildPath, MessageType, SocketDBError, toSocketDBError, WriteOutcome, type DisconnectOp, type Meta, type OnDisconnectMessage } from '@socketdb/core';
import { setMessage } from './client-writes';
import { toJsonValue } from './json-value';
import type { Outbox, OutboxEntry } from './outbox';
import { pathWrites, updateMessage } from './paths-update';
import type { ClientErrorEvent } from './types';

type KeptOp = Exclude<DisconnectOp, { op: 'cancel' }>;

/** One `onDisconnect` write this client wants kept: `entry` is the message that registers it on the current connection, until answered. */
type Registration = { readonly op: KeptOp; readonly outcome: WriteOutcome; entry: OutboxEntry | undefined };

/** An entry replaced by a newer one of the same registration: what rejects it goes nowhere. */
const SUPERSEDED = new SocketDBError('UNAVAILABLE', 'registered again on the new connection');

/**
 * The client's `onDisconnect` writes. The server keeps them per connection, so the client keeps
 * the active ones (in order, minus those cancelled or refused) and registers them again on every
 * new connection. They travel through the outbox like writes, numbered and answered.
 */
export class DisconnectRegistrations {
	#active: Registration[] = [];

	readonly #outbox: Outbox;
	readonly #flush: () => void;
	readonly #reportError: (event: ClientErrorEvent) => void;

	constructor(
		outbox: Outbox,
		flush: () => void,
		reportError: (event: ClientErrorEvent) => void,
	) {
		this.#outbox = outbox;
		this.#flush = flush;
		this.#reportError = reportError;
	}

	/** `ref.onDisconnect().set(value, meta)`: settles once the server registered it (or refused it). */
	set(path: string, value: unknown, meta?: Meta): WriteOutcome {
		return this.#register(() => {
			const { node } = setMessage({ path, value: toJsonValue(value, true), meta: meta === undefined ? undefined : (toJsonValue(meta) as Meta) });
			return { op: 'set', path, node };
		});
	}

	/** `ref.onDisconnect().update(values, meta)`: keys are paths relative to `path`, as for `ref.update`. */
	update(path: string, values: unknown, meta?: Meta): WriteOutcome {
		return this.#register(() => {
			// Relative to the reference: the message is made at `path`, which is what `cancel` matches.
			const { node, deleted } = updateMessage(pathWrites('', values, meta === undefined ? undefined : (toJsonValue(meta) as Meta)));
			return node === undefined ? { op: 'update', path, deleted } : { op: 'update', path, node, deleted };
		});
	}

	delete(path: string): WriteOutcome {
		return this.#register(() => ({ op: 'delete', path }));
	}

	/** Drops the registrations at `path` and below it, here and on the server. */
	cancel(path: string): WriteOutcome {
		this.#active = this.#active.filter((registration) => !atOrBelow(registration.op.path, path));
		const entry = this.#outbox.create();
		this.#outbox.ready(entry, message({ op: 'cancel', path }));
		this.#flush();
		return entry.outcome;
	}

	/**
	 * A connection's handshake completed: every active registration is sent again, in order, with
	 * a new number (the server dropped them with the last connection, and a resend of a number it
	 * already answered would only get that answer). Runs before the outbox is flushed.
	 */
	rearm(): void {
		for (const registration of this.#active) {
			const previous = registration.entry;
			registration.entry = undefined;
			if (previous !== undefined) this.#outbox.drop(previous, SUPERSEDED);
			this.#send(registration);
		}
	}

	#register(build: () => KeptOp): WriteOutcome {
		const outcome = new WriteOutcome();
		let op: KeptOp;
		try {
			op = build();
		} catch (thrown) {
			const error = toSocketDBError(thrown, 'INVALID_VALUE');
			if (!outcome.reject(error)) this.#reportError({ code: error.code, message: error.message });
			return outcome;
		}
		const registration: Registration = { op, outcome, entry: undefined };
		this.#active.push(registration);
		this.#send(registration);
		this.#flush();
		return outcome;
	}

	#send(registration: Registration): void {
		const entry = this.#outbox.create();
		registration.entry = entry;
		this.#outbox.ready(entry, message(registration.op));
		entry.outcome.then(
			() => {
				if (registration.entry === entry) registration.entry = undefined;
				registration.outcome.resolve();
			},
			(error: unknown) => this.#refused(registration, entry, toSocketDBError(error, 'INTERNAL_ERROR')),
		);
	}

	/** The server refused a registration: it is not registered again. Reported unless an awaited promise received it. */
	#refused(registration: Registration, entry: OutboxEntry, error: SocketDBError): void {
		if (registration.entry !== entry) return;
		registration.entry = undefined;
		this.#active = this.#active.filter((active) => active !== registration);
		const answeredBefore = registration.outcome.settled;
		if (answeredBefore || !registration.outcome.reject(error)) this.#reportError({ code: error.code, message: error.message, details: error.details });
	}
}

function message(op: DisconnectOp): Parameters<Outbox['ready']>[1] {
	return { type: MessageType.ON_DISCONNECT, ...op } as Omit<OnDisconnectMessage, 'seq'> as Parameters<Outbox['ready']>[1];
}

function atOrBelow(path: string, ancestor: string): boolean {
	return path === ancestor || isChildPath(path, ancestor);
}
