import { describe, expect, test } from 'vitest';
import { increment, MessageType, nodeify, SocketDBError, type Json } from '@socketdb/core';
import type { ClientMessage } from '@socketdb/core';
import { Outbox, WRITE_WINDOW } from './outbox';
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
		expect(outbox.fail(1, error)).toEqual({ settled: [1], unobserved: 0 });
		expect(await result).toBe(error);
		expect(outbox.size).toBe(0);
	});

	test('fail counts an unobserved failure so its error can be reported, without an unhandled rejection', async () => {
		const outbox = new Outbox();
		outbox.create();
		expect(outbox.fail(1, new SocketDBError('VETOED', 'no'))).toEqual({ settled: [1], unobserved: 1 });
		expect(outbox.size).toBe(0);
		await settle();
		expect(unhandled.reasons).toEqual([]);
	});

	test('fail of an unknown sequence number returns nothing', () => {
		const outbox = new Outbox();
		expect(outbox.fail(7, new SocketDBError('VETOED', 'no'))).toEqual({ settled: [], unobserved: 0 });
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

describe('many writes', () => {
	test('an outbox that has answered thousands of writes still holds the rest in order', async () => {
		const outbox = new Outbox();
		const entries = Array.from({ length: 10_000 }, () => outbox.create());
		entries.forEach((entry, index) => set(outbox, entry, `p/${index % 7}`, index));
		expect(sent(outbox)).toHaveLength(10_000);
		// Every write but each 1000th is answered, out of order within each hundred.
		for (let start = 0; start < 10_000; start += 100) {
			for (let index = start + 99; index >= start; index--) if (index % 1000 !== 999) outbox.acknowledge(entries[index]!.seq);
		}
		expect([...outbox.unanswered()].map((entry) => entry.seq)).toEqual(Array.from({ length: 10 }, (_, k) => 1000 * (k + 1)));
		expect(outbox.settledThrough()).toBe(999);
		expect(outbox.acknowledge(5000)).toEqual([5000]);
		expect(outbox.acknowledge(5000)).toEqual([]);
		expect(outbox.size).toBe(9);
		await expect(entries[4999]!.outcome).resolves.toBeUndefined();
		outbox.connectionLost();
		expect(seqs(sent(outbox))).toEqual([1000, 2000, 3000, 4000, 6000, 7000, 8000, 9000, 10_000]);
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

describe('combining writes that wait behind the window', () => {
	/** A set as the client makes it: the value as a node. */
	const setValue = (outbox: Outbox, entry: OutboxEntry, path: string, value: Json) => outbox.ready(entry, { type: MessageType.SET, path, node: nodeify(value) } as ReadyMessage);
	/** The combining code, loaded apart once the server allows combining, has loaded. */
	const combiningLoaded = async () => {
		await import('./write-combining');
		await settle();
	};
	/** An outbox whose server allows combining, with a window's worth of writes sent and unanswered (numbered 1 to WRITE_WINDOW). */
	function fullOutbox(): Outbox {
		const outbox = new Outbox();
		outbox.allowCombining(true);
		for (let index = 0; index < WRITE_WINDOW; index++) set(outbox, outbox.create(), `fill/${index}`, index);
		expect(sent(outbox)).toHaveLength(WRITE_WINDOW);
		return outbox;
	}

	test('without the server allowing it, every write goes at once, however many are unanswered', () => {
		const outbox = new Outbox();
		for (let index = 0; index < WRITE_WINDOW + 10; index++) set(outbox, outbox.create(), 'p', index);
		expect(sent(outbox)).toHaveLength(WRITE_WINDOW + 10);
	});

	test('past the window writes wait until half are answered; then they go together, each set carried by the latest to its path', async () => {
		const outbox = fullOutbox();
		const waiting = [outbox.create(), outbox.create(), outbox.create(), outbox.create()];
		setValue(outbox, waiting[0]!, 'p', { a: 1 });
		set(outbox, waiting[1]!, 'q', 1);
		setValue(outbox, waiting[2]!, 'p', { b: 2 });
		setValue(outbox, waiting[3]!, 'p', { a: 3 });
		expect(sent(outbox)).toEqual([]);
		await combiningLoaded();
		for (let seq = 1; seq < WRITE_WINDOW / 2; seq++) outbox.acknowledge(seq);
		expect(sent(outbox)).toEqual([]);
		outbox.acknowledge(WRITE_WINDOW / 2);
		const [first, second] = waiting.map((entry) => entry.seq);
		expect(sent(outbox)).toEqual([
			{ type: MessageType.SET, seq: waiting[1]!.seq, path: 'q', node: { value: 1 } },
			{ type: MessageType.SET, seq: waiting[3]!.seq, path: 'p', node: { value: { a: { value: 3 }, b: { value: 2 } } } },
		]);
		// The carrier's answer settles the writes it carried, which are named first.
		const outcomes = waiting.map((entry) => entry.outcome.then(() => 'ok', (error: unknown) => (error as Error).message));
		expect(outbox.acknowledge(waiting[3]!.seq)).toEqual([first, waiting[2]!.seq, waiting[3]!.seq]);
		expect(outbox.fail(waiting[1]!.seq, new SocketDBError('VETOED', 'no'))).toEqual({ settled: [second], unobserved: 0 });
		expect(await Promise.all(outcomes)).toEqual(['ok', 'no', 'ok', 'ok']);
	});

	test("a carrier's failure fails the writes it carried", async () => {
		const outbox = fullOutbox();
		const [a, b] = [outbox.create(), outbox.create()];
		set(outbox, a, 'p', 1);
		set(outbox, b, 'p', 2);
		expect(sent(outbox)).toEqual([]);
		await combiningLoaded();
		for (let seq = 1; seq <= WRITE_WINDOW; seq++) outbox.acknowledge(seq);
		expect(seqs(sent(outbox))).toEqual([b.seq]);
		const outcomes = [a, b].map((entry) => entry.outcome.then(() => 'ok', (error: unknown) => (error as SocketDBError).code));
		expect(outbox.fail(b.seq, new SocketDBError('TOO_DEEP', 'deep'))).toEqual({ settled: [a.seq, b.seq], unobserved: 0 });
		expect(await Promise.all(outcomes)).toEqual(['TOO_DEEP', 'TOO_DEEP']);
		expect(outbox.size).toBe(0);
	});

	test('after a lost connection carried writes go on their own again, before their carrier, and nothing waits', async () => {
		const outbox = fullOutbox();
		const [a, b] = [outbox.create(), outbox.create()];
		setValue(outbox, a, 'p', { x: 1 });
		setValue(outbox, b, 'p', { y: 2 });
		expect(sent(outbox)).toEqual([]);
		await combiningLoaded();
		for (let seq = 1; seq <= WRITE_WINDOW; seq++) outbox.acknowledge(seq);
		expect(seqs(sent(outbox))).toEqual([b.seq]);
		outbox.connectionLost();
		expect(sent(outbox)).toEqual([
			{ type: MessageType.SET, seq: a.seq, path: 'p', node: { value: { x: { value: 1 } } } },
			{ type: MessageType.SET, seq: b.seq, path: 'p', node: { value: { x: { value: 1 }, y: { value: 2 } } } },
		]);
		expect(outbox.acknowledge(b.seq)).toEqual([b.seq]);
		expect(outbox.acknowledge(a.seq)).toEqual([a.seq]);
	});

	test('no set is carried across a set with server values, another kind of write, or a write whose hooks still run', async () => {
		const outbox = fullOutbox();
		const writes = Array.from({ length: 8 }, () => outbox.create());
		set(outbox, writes[0]!, 'p', 1);
		outbox.ready(writes[1]!, { type: MessageType.SET, path: 'p', node: nodeify({ n: increment(1) } as never) });
		set(outbox, writes[2]!, 'p', 2);
		outbox.ready(writes[3]!, { type: MessageType.DELETE, path: 'q' });
		set(outbox, writes[4]!, 'p', 3);
		set(outbox, writes[5]!, 'p', 4);
		// writes[6] is still in its hooks.
		set(outbox, writes[7]!, 'p', 5);
		expect(sent(outbox)).toEqual([]);
		await combiningLoaded();
		for (let seq = 1; seq <= WRITE_WINDOW; seq++) outbox.acknowledge(seq);
		expect(seqs(sent(outbox))).toEqual([0, 1, 2, 3, 5].map((index) => writes[index]!.seq));
		expect(outbox.acknowledge(writes[5]!.seq)).toEqual([writes[4]!.seq, writes[5]!.seq]);
	});
});
