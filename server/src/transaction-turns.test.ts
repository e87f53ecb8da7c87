import { afterEach, describe, expect, test, vi } from 'vitest';
import { TransactionTurns, TURN_MS } from './transaction-turns';

afterEach(() => {
	vi.useRealTimers();
});

/** Takes a turn and records when it starts. */
function taker(turns: TransactionTurns, started: string[]) {
	return (path: string, session: string) => {
		const turn = turns.take(path, session);
		if (turn === undefined) started.push(session);
		else void turn.then(() => started.push(session));
	};
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('TransactionTurns', () => {
	test('one transaction per path at a time, in arrival order; other paths are independent', async () => {
		const turns = new TransactionTurns();
		const started: string[] = [];
		const take = taker(turns, started);
		take('p', 'a');
		take('p', 'b');
		take('p', 'c');
		take('q', 'd');
		await settle();
		expect(started).toEqual(['a', 'd']);
		turns.done('p', 'a', false);
		await settle();
		expect(started).toEqual(['a', 'd', 'b']);
		turns.done('p', 'b', false);
		await settle();
		expect(started).toEqual(['a', 'd', 'b', 'c']);
	});

	test("a conflict keeps the path for that client: its retry runs before those that arrived meanwhile", async () => {
		const turns = new TransactionTurns();
		const started: string[] = [];
		const take = taker(turns, started);
		take('p', 'a');
		take('p', 'b');
		turns.done('p', 'a', true);
		await settle();
		// b waits for a's retry, although it arrived first.
		expect(started).toEqual(['a']);
		take('p', 'a');
		await settle();
		expect(started).toEqual(['a', 'a']);
		turns.done('p', 'a', false);
		await settle();
		expect(started).toEqual(['a', 'a', 'b']);
	});

	test('the path is kept for at most TURN_MS: a client that never retries does not hold the others up for longer', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
		const turns = new TransactionTurns();
		const started: string[] = [];
		const take = taker(turns, started);
		take('p', 'a');
		turns.done('p', 'a', true);
		take('p', 'b');
		await vi.advanceTimersByTimeAsync(TURN_MS - 1);
		expect(started).toEqual(['a']);
		await vi.advanceTimersByTimeAsync(1);
		expect(started).toEqual(['a', 'b']);
	});

	test('done from a session that does not hold the turn changes nothing', async () => {
		const turns = new TransactionTurns();
		const started: string[] = [];
		const take = taker(turns, started);
		take('p', 'a');
		take('p', 'b');
		turns.done('p', 'b', false);
		await settle();
		expect(started).toEqual(['a']);
	});
});
