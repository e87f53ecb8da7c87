import { concatBytes, createStore, encodeMessage, MessageType, SocketDBError, type GoodbyeMessage, type ServerMessage, type SocketConnection } from '@socketdb/core';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { SnapshotStreams } from './connection-snapshots';
import { ConnectionSender, rejection, type ConnectionState, type StalePaths } from './connection-sender';
import type { ServerRuntime } from './runtime';

const SLOW_BYTES = 1_000;
const SLOW_CLOSE_MS = 5_000;

/** A sender over a socket that records its frames and whose `bufferedAmount` the test sets (the send logic alone; real backpressure is in test/slow-consumer.test.ts). */
class TestSender extends ConnectionSender {
	state: ConnectionState = 'open';
	goodbyes: GoodbyeMessage[] = [];
	resent: StalePaths[] = [];
	held = new Set<string>();
	/** Runs as the latest state is resent (after a congestion), before it is sent. */
	whileResending: (() => void) | undefined;
	get streams(): SnapshotStreams | undefined {
		return { hold: (path: string) => this.held.has(path) } as unknown as SnapshotStreams;
	}
	goodbye(goodbye: GoodbyeMessage): void {
		this.goodbyes.push(goodbye);
	}
	protected resend(stale: StalePaths): void {
		this.resent.push(stale);
		this.pushUpdate('value', 'resent', data(9));
		this.whileResending?.();
	}
	overdue(now: number): void {
		this.sendOverdueAcks(now);
	}
	stop(): void {
		this.stopSending();
	}
}

function sender(options: { durable?: boolean } = {}) {
	const frames: Uint8Array[] = [];
	let buffered = 0;
	const socket = {
		send: (frame: Uint8Array) => void frames.push(frame),
		get bufferedAmount() {
			return buffered;
		},
	} as SocketConnection;
	const store = createStore();
	if (options.durable === true) store.flush = async () => undefined;
	const watched: unknown[] = [];
	const runtime = { store, limits: { slowConsumerBytes: SLOW_BYTES, slowConsumerCloseMs: SLOW_CLOSE_MS }, watchCongestion: (connection: unknown) => void watched.push(connection) } as unknown as ServerRuntime;
	const connection = new TestSender(socket, runtime);
	return { connection, frames, watched, buffer: (bytes: number) => (buffered = bytes) };
}

/** The frame the messages make together. */
const frameOf = (...messages: (ServerMessage | Uint8Array)[]) => concatBytes(messages.map((message) => (message instanceof Uint8Array ? message : encodeMessage(message))));
const ack = (seq: number, rev: number): ServerMessage => ({ type: MessageType.ACK, seq, rev });
const data = (id: number) => encodeMessage({ type: MessageType.DATA, id, ops: [], rev: id });

beforeEach(() => {
	vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance', 'Date'] });
});
afterEach(() => {
	vi.useRealTimers();
});

describe('the frames a connection sends', () => {
	test('messages of one tick go out as one frame at its end', () => {
		const { connection, frames } = sender();
		connection.send({ type: MessageType.ERROR, code: 'FORBIDDEN', message: 'a' });
		connection.send({ type: MessageType.ERROR, code: 'FORBIDDEN', message: 'b' });
		expect(frames).toEqual([]);
		vi.advanceTimersToNextTimer();
		expect(frames).toEqual([frameOf({ type: MessageType.ERROR, code: 'FORBIDDEN', message: 'a' }, { type: MessageType.ERROR, code: 'FORBIDDEN', message: 'b' })]);
		vi.runAllTimers();
		expect(frames).toHaveLength(1);
	});

	test('an acknowledgement waits up to a millisecond for company, then goes alone', () => {
		const { connection, frames } = sender();
		connection.acknowledge(1, 10);
		connection.acknowledge(2, 11);
		vi.advanceTimersByTime(0);
		expect(frames).toEqual([]);
		vi.advanceTimersByTime(1);
		expect(frames).toEqual([frameOf(ack(1, 10), ack(2, 11))]);
		vi.runAllTimers();
		expect(frames).toHaveLength(1);
	});

	test('an acknowledgement rides with a message sent in the same tick; its timer then sends nothing', () => {
		const { connection, frames } = sender();
		connection.acknowledge(1, 10, { value: { a: 1 } });
		connection.send({ type: MessageType.ERROR, code: 'FORBIDDEN', message: 'x' });
		vi.advanceTimersToNextTimer();
		expect(frames).toEqual([frameOf({ type: MessageType.ACK, seq: 1, rev: 10, value: { a: 1 } }, { type: MessageType.ERROR, code: 'FORBIDDEN', message: 'x' })]);
		vi.runAllTimers();
		expect(frames).toHaveLength(1);
		// A send already scheduled: the acknowledgement joins it without a timer of its own.
		connection.send({ type: MessageType.ERROR, code: 'FORBIDDEN', message: 'y' });
		connection.acknowledge(2, 11);
		expect(vi.getTimerCount()).toBe(1);
		vi.runAllTimers();
		expect(frames.at(-1)).toEqual(frameOf({ type: MessageType.ERROR, code: 'FORBIDDEN', message: 'y' }, ack(2, 11)));
	});

	test('with a durable store the acknowledgements go at the end of the tick (they already waited for the sync)', () => {
		const { connection, frames } = sender({ durable: true });
		connection.acknowledge(1, 10);
		vi.advanceTimersToNextTimer();
		expect(frames).toEqual([frameOf(ack(1, 10))]);
	});

	test('an acknowledgement overdue while timers are held up goes at the next check, not before', () => {
		const { connection, frames } = sender();
		connection.overdue(performance.now() + 10);
		connection.acknowledge(1, 10);
		connection.overdue(performance.now() + 0.5);
		expect(frames).toEqual([]);
		connection.overdue(performance.now() + 1);
		expect(frames).toEqual([frameOf(ack(1, 10))]);
		vi.runAllTimers();
		expect(frames).toHaveLength(1);
	});

	test('a refusal carries its code, message and details when they are JSON', () => {
		const { connection, frames } = sender();
		connection.reject(3, new SocketDBError('INVALID_VALUE', 'bad', { at: ['a'], when: new Date(0) }));
		vi.runAllTimers();
		expect(frames).toEqual([frameOf({ type: MessageType.REJECT, seq: 3, code: 'INVALID_VALUE', message: 'bad', details: { at: ['a'], when: '1970-01-01T00:00:00.000Z' } })]);
		expect(rejection(4, new SocketDBError('FORBIDDEN', 'no', { n: 10n }))).toEqual({ type: MessageType.REJECT, seq: 4, code: 'FORBIDDEN', message: 'no', details: undefined });
		expect(rejection(5, new SocketDBError('FORBIDDEN', 'no'))).toEqual({ type: MessageType.REJECT, seq: 5, code: 'FORBIDDEN', message: 'no', details: undefined });
	});

	test('a closed connection sends nothing, and stopping drops what waited', () => {
		const { connection, frames } = sender();
		connection.pushUpdate('value', 'a', data(1));
		connection.acknowledge(1, 1);
		connection.stop();
		vi.runAllTimers();
		connection.flush();
		expect(frames).toEqual([]);
		connection.pushUpdate('value', 'a', data(2));
		connection.state = 'closed';
		connection.flush();
		expect(frames).toEqual([]);
	});

	test('updates the fan-out pushes wait for its flush; a path whose snapshot is under way holds them', () => {
		const { connection, frames } = sender();
		connection.held.add('streaming');
		connection.pushUpdate('value', 'a', data(1));
		connection.pushUpdate('value', 'streaming', data(2));
		connection.pushUpdate('keys', 'streaming', data(3));
		expect(vi.getTimerCount()).toBe(0);
		connection.flush();
		expect(frames).toEqual([frameOf(data(1), data(3))]);
		connection.flush();
		expect(frames).toHaveLength(1);
	});
});

describe('a client that reads too slowly', () => {
	test('more than the bound left unsent makes the connection congested, once; at the bound it is not', () => {
		const { connection, watched, buffer } = sender();
		buffer(SLOW_BYTES);
		connection.pushUpdate('value', 'a', data(1));
		connection.flush();
		expect(watched).toEqual([]);
		buffer(SLOW_BYTES + 1);
		connection.pushUpdate('value', 'a', data(2));
		connection.flush();
		connection.pushUpdate('value', 'a', data(3));
		expect(watched).toEqual([connection]);
	});

	test('while congested, updates are dropped and their paths remembered by kind; once caught up, their latest state is sent', () => {
		const { connection, frames, buffer } = sender();
		buffer(SLOW_BYTES + 1);
		connection.pushUpdate('value', 'a', data(1));
		connection.flush();
		connection.pushUpdate('value', 'b', data(2));
		connection.pushUpdate('keys', 'c', data(3));
		connection.pushUpdate('query', '7', data(4));
		connection.flush();
		expect(frames).toHaveLength(1);
		buffer(SLOW_BYTES / 2 + 1);
		expect(connection.relieve(Date.now())).toBe(false);
		buffer(SLOW_BYTES / 2);
		expect(connection.relieve(Date.now())).toBe(true);
		expect(connection.resent).toEqual([{ value: new Set(['b']), keys: new Set(['c']), query: new Set(['7']) }]);
		expect(frames.at(-1)).toEqual(frameOf(data(9)));
		expect(connection.goodbyes).toEqual([]);
	});

	test('congested without anything dropped: relief resends nothing', () => {
		const { connection, frames, buffer } = sender();
		buffer(SLOW_BYTES + 1);
		connection.pushUpdate('value', 'a', data(1));
		connection.flush();
		buffer(0);
		expect(connection.relieve(Date.now())).toBe(true);
		expect(connection.resent).toEqual([]);
		expect(frames).toHaveLength(1);
		// No longer congested: updates are queued again.
		connection.pushUpdate('value', 'a', data(2));
		connection.flush();
		expect(frames).toHaveLength(2);
	});

	test('behind for longer than the limit, it is said goodbye; a connection not open, or not congested, needs no watching', () => {
		const { connection, buffer } = sender();
		expect(connection.relieve(Date.now())).toBe(true);
		buffer(SLOW_BYTES + 1);
		connection.pushUpdate('value', 'a', data(1));
		connection.flush();
		vi.advanceTimersByTime(SLOW_CLOSE_MS - 1);
		expect(connection.relieve(Date.now())).toBe(false);
		vi.advanceTimersByTime(1);
		expect(connection.relieve(Date.now())).toBe(true);
		expect(connection.goodbyes).toEqual([{ reason: 'slow-consumer', message: `the client read too slowly: more than ${SLOW_BYTES} bytes waited to be sent for ${SLOW_CLOSE_MS} ms` }]);
		connection.state = 'closing';
		expect(connection.relieve(Date.now())).toBe(true);
		expect(connection.goodbyes).toHaveLength(1);
	});

	test('relief that congests the connection again keeps it watched', () => {
		const { connection, buffer } = sender();
		buffer(SLOW_BYTES + 1);
		connection.pushUpdate('value', 'a', data(1));
		connection.flush();
		connection.pushUpdate('value', 'b', data(2));
		// Caught up as far as relief checks, but the resent state fills the buffer again.
		buffer(0);
		connection.whileResending = () => buffer(SLOW_BYTES + 1);
		expect(connection.relieve(Date.now())).toBe(false);
		expect(connection.resent).toHaveLength(1);
	});
});
