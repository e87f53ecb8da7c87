import { describe, expect, test } from 'vitest';
import { MessageType, SocketDBError } from '@socketdb/core';
import type { ClientMessage } from '@socketdb/core';
import { Outbox } from './outbox';
import type { OutboxEntry } from './outbox';
import { trackUnhandledRejections } from '../../test/helpers/unhandled';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function sent(outbox: Outbox): ClientMessage[] {
	const messages: ClientMessage[] = [];
	outbox.flush((entry) => {
		messages.push(entry.message);
		return true;
	});
	return messages;
}

type ReadyMessage = Parameters<Outbox['ready']>[1];
const set = (outbox: Outbox, entry: OutboxEntry, path: string, value: unknown) => outbox.ready(entry, { type: MessageType.SET, path, node: { value } } as ReadyMessage);
const seqs = (messages: ClientMessage[]) => messages.map((message) => ('seq' in message ? message.seq : -1));

const unhandled = trackUnhandledRejections();

describe('order', () => {
	test('entries are numbered in the order they are made, starting at 1', () => {
		const outbox = new Outbox();
		expect([outbox.create().seq, outbox.create().seq, outbox.create().seq]).toEqual([1, 2, 3]);
		expect(outbox.size).toBe(3);
	});

	test('ready entries are sent in order, with their sequence number', () => {
		const outbox = new Outbox();
		const a = outbox.create();
		const b = outbox.create();
		set(outbox, a, 'x', 1);
		outbox.ready(b, { type: MessageType.DELETE, path: 'y' });
		expect(sent(outbox)).toEqual([
			{ type: MessageType.SET, seq: 1, path: 'x', node: { value: 1 } },
			{ type: MessageType.DELETE, seq: 2, path: 'y' },
		]);
		expect(a.state).toBe('sent');
		expect(b.state).toBe('sent');
	});

	test('entries are sent once', () => {
		const outbox = new Outbox();
		const a = outbox.create();
		set(outbox, a, 'x', 1);
		expect(seqs(sent(outbox))).toEqual([1]);
		expect(sent(outbox)).toEqual([]);
		const b = outbox.create();
		set(outbox, b, 'x', 2);
		expect(seqs(sent(outbox))).toEqual([2]);
	});

	test('an entry whose hooks still run blocks the later ones', () => {
		const outbox = new Outbox();
		const a = outbox.create();
		const b = outbox.create();
		const c = outbox.create();
		set(outbox, a, 'a', 1);
		set(outbox, c, 'c', 3);
		expect(b.state).toBe('hooks');
		expect(seqs(sent(outbox))).toEqual([1]);
		expect(c.state).toBe('ready');
		set(outbox, b, 'b', 2);
		expect(seqs(sent(outbox))).toEqual([2, 3]);
	});

	test('an entry dropped by its hooks no longer blocks', () => {
		const outbox = new Outbox();
		const a = outbox.create();
		const b = outbox.create();
		set(outbox, b, 'b', 2);
		expect(sent(outbox)).toEqual([]);
		outbox.drop(a, new SocketDBError('VETOED', 'hook refused'));
		expect(seqs(sent(outbox))).toEqual([2]);
	});
});

describe('connectionLost', () => {
	test('makes sent entries ready again, to be resent in order', () => {
		const outbox = new Outbox();
		const entries = [outbox.create(), outbox.create(), outbox.create()];
		entries.forEach((entry, i) => set(outbox, entry, `p${i}`, i));
		expect(seqs(sent(outbox))).toEqual([1, 2, 3]);
		outbox.acknowledge(1);
		outbox.connectionLost();
		expect(entries[1]!.state).toBe('ready');
		expect(seqs(sent(outbox))).toEqual([2, 3]);
	});

	test('leaves entries whose hooks still run alone', () => {
		const outbox = new Outbox();
		const a = outbox.create();
		set(outbox, a, 'a', 1);
		sent(outbox);
		const b = outbox.create();
		outbox.connectionLost();
		expect(a.state).toBe('ready');
		expect(b.state).toBe('hooks');
		expect(seqs(sent(outbox))).toEqual([1]);
	});

	test('resends the same message', () => {
		const outbox = new Outbox();
		const a = outbox.create();
		set(outbox, a, 'a', { deep: 1 });
		const [first] = sent(outbox);
		outbox.connectionLost();
		const [again] = sent(outbox);
		expect(again).toEqual(first);
	});
});

describe('settling', () => {
	test('acknowledge resolves the outcome and removes the entry', async () => {
		const outbox = new Outbox();
		const a = outbox.create();
		set(outbox, a, 'a', 1);
		sent(outbox);
		const result = a.outcome.then(() => 'resolved');
		outbox.acknowledge(1);
		expect(await result).toBe('resolved');
		expect(outbox.size).toBe(0);
		outbox.connectionLost();
		expect(sent(outbox)).toEqual([]);
	});

	test('acknowledging an unknown sequence number does nothing', () => {
		const outbox = new Outbox();
		outbox.create();
		outbox.acknowledge(42);
		expect(outbox.size).toBe(1);
	});

	test('fail rejects an awaited outcome and returns nothing to report', async () => {
		const outbox = new Outbox();
		const a = outbox.create();
		const error = new SocketDBError('VETOED', 'no');
		const result = a.outcome.then(
			() => 'resolved',
			(reason: unknown) => reason,
		);
		expect(outbox.fail(1, error)).toBeUndefined();
		expect(await result).toBe(error);
		expect(outbox.size).toBe(0);
	});

	test('fail returns an unobserved entry so its error can be reported, without an unhandled rejection', async () => {
		const outbox = new Outbox();
		const a = outbox.create();
		expect(outbox.fail(1, new SocketDBError('VETOED', 'no'))).toBe(a);
		expect(outbox.size).toBe(0);
		await settle();
		expect(unhandled.reasons).toEqual([]);
	});

	test('fail of an unknown sequence number returns nothing', () => {
		const outbox = new Outbox();
		expect(outbox.fail(7, new SocketDBError('VETOED', 'no'))).toBeUndefined();
	});

	test('drop removes the entry and says whether anybody was listening', async () => {
		const outbox = new Outbox();
		const a = outbox.create();
		const b = outbox.create();
		const caught = b.outcome.catch((error: unknown) => error);
		expect(outbox.drop(a, new SocketDBError('VETOED', 'a'))).toBe(false);
		expect(outbox.drop(b, new SocketDBError('VETOED', 'b'))).toBe(true);
		expect(await caught).toMatchObject({ code: 'VETOED', message: 'b' });
		expect(outbox.size).toBe(0);
		await settle();
		expect(unhandled.reasons).toEqual([]);
	});

	test('failAll rejects every entry and returns the unobserved ones', async () => {
		const outbox = new Outbox();
		const a = outbox.create();
		const b = outbox.create();
		const c = outbox.create();
		set(outbox, a, 'a', 1);
		sent(outbox);
		const caught = b.outcome.catch((error: unknown) => error);
		const error = new SocketDBError('INTERNAL_ERROR', 'the client closed');
		expect(outbox.failAll(error)).toEqual([a, c]);
		expect(await caught).toBe(error);
		expect(outbox.size).toBe(0);
		expect(sent(outbox)).toEqual([]);
		await settle();
		expect(unhandled.reasons).toEqual([]);
	});
});

describe('settledThrough', () => {
	test('is 0 before any write', () => {
		expect(new Outbox().settledThrough()).toBe(0);
	});

	test('is one below the oldest unsettled write', () => {
		const outbox = new Outbox();
		for (let i = 0; i < 4; i++) outbox.create();
		expect(outbox.settledThrough()).toBe(0);
		outbox.acknowledge(2);
		expect(outbox.settledThrough()).toBe(0);
		outbox.acknowledge(1);
		expect(outbox.settledThrough()).toBe(2);
		outbox.fail(3, new SocketDBError('VETOED', 'x'));
		expect(outbox.settledThrough()).toBe(3);
	});

	test('is the last sequence number once everything is settled', () => {
		const outbox = new Outbox();
		for (let i = 0; i < 3; i++) outbox.create();
		outbox.failAll(new SocketDBError('INTERNAL_ERROR', 'x'));
		expect(outbox.settledThrough()).toBe(3);
		outbox.create();
		expect(outbox.settledThrough()).toBe(3);
		outbox.acknowledge(4);
		expect(outbox.settledThrough()).toBe(4);
	});
});

describe('a write the sender refuses', () => {
	test('stays out of the sent state and later writes still go out', () => {
		const outbox = new Outbox();
		const first = outbox.create();
		const second = outbox.create();
		set(outbox, first, 'a', 1);
		set(outbox, second, 'b', 2);
		const sentSeqs: number[] = [];
		outbox.flush((entry) => {
			if (entry.seq === first.seq) {
				outbox.fail(entry.seq, new SocketDBError('PAYLOAD_TOO_LARGE', 'too big'));
				return false;
			}
			sentSeqs.push(entry.seq);
			return true;
		});
		expect(sentSeqs).toEqual([second.seq]);
		expect(first.state).toBe('ready');
		expect(second.state).toBe('sent');
		expect(outbox.size).toBe(1);
	});
});

describe('persistence', () => {
	test('the observer hears of each write when it is ready (with the next number) and when it stops waiting', () => {
		const heard: string[] = [];
		const outbox = new Outbox({ ready: (entry, nextSeq) => void heard.push(`ready ${entry.seq} next ${nextSeq}`), settled: (seq) => void heard.push(`settled ${seq}`) });
		const a = outbox.create();
		const b = outbox.create();
		outbox.ready(a, { type: MessageType.DELETE, path: 'a' });
		outbox.ready(b, { type: MessageType.DELETE, path: 'b' });
		sent(outbox);
		outbox.acknowledge(1);
		outbox.fail(2, new SocketDBError('VETOED', 'no'));
		void b.outcome.then(undefined, () => undefined);
		expect(heard).toEqual(['ready 1 next 3', 'ready 2 next 3', 'settled 1', 'settled 2']);
	});

	test('restore puts the writes a page left first, and numbers the writes made since after them; announce tells of them all', () => {
		const announced: number[] = [];
		const outbox = new Outbox({ ready: (entry) => void announced.push(entry.seq), settled: () => undefined });
		const early = outbox.create();
		outbox.ready(early, { type: MessageType.DELETE, path: 'early' });
		announced.length = 0;
		outbox.restore(
			[
				{ type: MessageType.DELETE, seq: 7, path: 'left' },
				{ type: MessageType.DELETE, seq: 8, path: 'left too' },
			],
			9,
		);
		expect(early.seq).toBe(9);
		expect(announced).toEqual([]);
		outbox.announce();
		expect(announced).toEqual([7, 8, 9]);
		expect(sent(outbox)).toEqual([
			{ type: MessageType.DELETE, seq: 7, path: 'left' },
			{ type: MessageType.DELETE, seq: 8, path: 'left too' },
			{ type: MessageType.DELETE, seq: 9, path: 'early' },
		]);
		expect(outbox.settledThrough()).toBe(6);
		expect(outbox.create().seq).toBe(10);
	});
});
