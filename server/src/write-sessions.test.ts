import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { SocketDBError } from '@socketdb/core';
import { WriteSession, WriteSessions } from './write-sessions';
import type { WriteSessionOptions } from './write-sessions';

const options: WriteSessionOptions = { ttlMs: 1000, maxSessions: 100, maxRefusals: 10 };
const refusal = (seq: number) => new SocketDBError('VETOED', `write ${seq} refused`);

/** The ids held (the map is private; this is the only way to see which sessions were evicted). */
const idsOf = (sessions: WriteSessions) => [...(sessions as unknown as { sessions: Map<string, WriteSession> }).sessions.keys()].sort();

beforeEach(() => {
	vi.useFakeTimers();
	vi.setSystemTime(1_000_000);
});

afterEach(() => {
	vi.useRealTimers();
});

/** The sequence numbers whose refusals a session remembers, in order. */
function refusedSeqs(session: WriteSession): number[] {
	return Array.from({ length: 1001 }, (_, seq) => seq).filter((seq) => session.refusalOf(seq) !== undefined);
}

describe('WriteSession', () => {
	test('starts empty', () => {
		const session = new WriteSession('s');
		expect(session.id).toBe('s');
		expect(session.lastSeq).toBe(0);
		expect(session.busy).toBe(false);
		expect(refusedSeqs(session)).toEqual([]);
		expect(session.owner).toBeUndefined();
		expect(session.queue.idle).toBe(true);
	});

	test('confirmThrough drops the refusals up to and including seq', () => {
		const session = new WriteSession('s');
		for (const seq of [2, 5, 7, 9]) session.rememberRefusal(seq, refusal(seq), 10);
		session.confirmThrough(7);
		expect(refusedSeqs(session)).toEqual([9]);
		session.confirmThrough(0);
		expect(refusedSeqs(session)).toEqual([9]);
		session.confirmThrough(100);
		expect(refusedSeqs(session)).toEqual([]);
	});

	test('rememberRefusal keeps the refusal for a resend', () => {
		const session = new WriteSession('s');
		const error = refusal(3);
		session.rememberRefusal(3, error, 10);
		expect(session.refusalOf(3)).toBe(error);
	});

	test('rememberRefusal keeps at most max refusals, dropping the oldest', () => {
		const session = new WriteSession('s');
		for (let seq = 1; seq <= 5; seq++) session.rememberRefusal(seq, refusal(seq), 3);
		expect(refusedSeqs(session)).toEqual([3, 4, 5]);
		for (let seq = 6; seq <= 1000; seq++) session.rememberRefusal(seq, refusal(seq), 3);
		expect(refusedSeqs(session)).toEqual([998, 999, 1000]);
	});
});

describe('whenSettled', () => {
	test('waits for the writes up to the given one only; none left running there: nothing to wait for', async () => {
		const session = new WriteSession('s');
		for (const seq of [1, 2, 3]) {
			session.lastSeq = seq;
			session.started(seq);
		}
		let settled = false;
		void session.whenSettled(2)!.then(() => (settled = true));
		session.settled(1);
		await Promise.resolve();
		expect(settled).toBe(false);
		session.settled(2);
		await Promise.resolve();
		// Write 3 still runs: it came after.
		expect(settled).toBe(true);
		expect(session.whenSettled(2)).toBeUndefined();
		expect(session.whenSettled()).toBeInstanceOf(Promise);
	});
});

describe('attach and release', () => {
	test('attach starts a session owned by the connection', () => {
		const sessions = new WriteSessions(options);
		const owner = {};
		const session = sessions.attach('s1', owner, 0);
		expect(session.id).toBe('s1');
		expect(session.owner).toBe(owner);
		expect(sessions.size).toBe(1);
	});

	test('attaching the same id again returns the same session for the new owner', () => {
		const sessions = new WriteSessions(options);
		const first = sessions.attach('s1', {}, 0);
		first.lastSeq = 12;
		const second = {};
		const again = sessions.attach('s1', second, 0);
		expect(again).toBe(first);
		expect(again.owner).toBe(second);
		expect(again.lastSeq).toBe(12);
		expect(sessions.size).toBe(1);
	});

	test('attach confirms the refusals the client reports as settled', () => {
		const sessions = new WriteSessions(options);
		const session = sessions.attach('s1', {}, 0);
		for (const seq of [1, 2, 3]) session.rememberRefusal(seq, refusal(seq), 10);
		sessions.attach('s1', {}, 2);
		expect(refusedSeqs(session)).toEqual([3]);
	});

	test('release by the owner releases and records the time', () => {
		const sessions = new WriteSessions(options);
		const owner = {};
		const session = sessions.attach('s1', owner, 0);
		vi.setSystemTime(1_000_500);
		sessions.release(session, owner);
		expect(session.owner).toBeUndefined();
		expect(session.releasedAt).toBe(1_000_500);
	});

	test('release by a connection that no longer owns the session does nothing', () => {
		const sessions = new WriteSessions(options);
		const old = {};
		const current = {};
		const session = sessions.attach('s1', old, 0);
		sessions.attach('s1', current, 0);
		sessions.release(session, old);
		expect(session.owner).toBe(current);
		expect(session.releasedAt).toBe(0);
	});
});

describe('sweep', () => {
	test('drops sessions released longer than the TTL ago', () => {
		const sessions = new WriteSessions(options);
		const owner = {};
		const session = sessions.attach('s1', owner, 0);
		sessions.release(session, owner);
		sessions.sweep(1_000_000 + 1000);
		expect(sessions.size).toBe(1);
		sessions.sweep(1_000_000 + 1001);
		expect(sessions.size).toBe(0);
	});

	test('uses the current time by default', () => {
		const sessions = new WriteSessions(options);
		const owner = {};
		sessions.release(sessions.attach('s1', owner, 0), owner);
		vi.advanceTimersByTime(999);
		sessions.sweep();
		expect(sessions.size).toBe(1);
		vi.advanceTimersByTime(2);
		sessions.sweep();
		expect(sessions.size).toBe(0);
	});

	test('keeps attached sessions however old', () => {
		const sessions = new WriteSessions(options);
		sessions.attach('s1', {}, 0);
		sessions.sweep(1_000_000 + 10 * 365 * 24 * 3600 * 1000);
		expect(sessions.size).toBe(1);
	});

	test('keeps released sessions that still have writes in flight', () => {
		const sessions = new WriteSessions(options);
		const owner = {};
		const session = sessions.attach('s1', owner, 0);
		session.started(1);
		sessions.release(session, owner);
		sessions.sweep(1_000_000 + 5000);
		expect(sessions.size).toBe(1);
		session.settled(1);
		sessions.sweep(1_000_000 + 5000);
		expect(sessions.size).toBe(0);
	});

	test('keeps a session that was attached again after its release', () => {
		const sessions = new WriteSessions(options);
		const owner = {};
		const session = sessions.attach('s1', owner, 0);
		sessions.release(session, owner);
		sessions.attach('s1', {}, 0);
		sessions.sweep(1_000_000 + 5000);
		expect(sessions.size).toBe(1);
	});

	test('drops only the expired ones', () => {
		const sessions = new WriteSessions(options);
		const owners = [{}, {}, {}];
		const [a, b] = [sessions.attach('a', owners[0]!, 0), sessions.attach('b', owners[1]!, 0)];
		sessions.attach('c', owners[2]!, 0);
		sessions.release(a, owners[0]!);
		vi.setSystemTime(1_000_800);
		sessions.release(b, owners[1]!);
		sessions.sweep(1_000_000 + 1500);
		expect(idsOf(sessions)).toEqual(['b', 'c']);
	});
});

describe('maxSessions', () => {
	test('evicts released sessions when a new one would exceed the maximum', () => {
		const sessions = new WriteSessions({ ...options, maxSessions: 2 });
		const owners = [{}, {}, {}];
		const a = sessions.attach('a', owners[0]!, 0);
		sessions.attach('b', owners[1]!, 0);
		sessions.release(a, owners[0]!);
		sessions.attach('c', owners[2]!, 0);
		expect(idsOf(sessions)).toEqual(['b', 'c']);
	});

	test('never evicts sessions that are attached or have writes in flight', () => {
		const sessions = new WriteSessions({ ...options, maxSessions: 2 });
		const ownerA = {};
		const a = sessions.attach('a', ownerA, 0);
		a.started(1);
		sessions.release(a, ownerA);
		sessions.attach('b', {}, 0);
		sessions.attach('c', {}, 0);
		sessions.attach('d', {}, 0);
		// Over the maximum, but nothing may be evicted.
		expect(idsOf(sessions)).toEqual(['a', 'b', 'c', 'd']);
	});

	test('never evicts the session being attached', () => {
		const sessions = new WriteSessions({ ...options, maxSessions: 2 });
		sessions.attach('a', {}, 0);
		sessions.attach('b', {}, 0);
		const owner = {};
		const c = sessions.attach('c', owner, 0);
		expect(idsOf(sessions)).toEqual(['a', 'b', 'c']);
		// A reconnect finds the same session, so resent writes are still recognised.
		c.lastSeq = 5;
		expect(sessions.attach('c', owner, 0)).toBe(c);
	});

	test('evicts the longest-released sessions first', () => {
		const sessions = new WriteSessions({ ...options, maxSessions: 3 });
		const owners = [{}, {}, {}];
		const a = sessions.attach('a', owners[0]!, 0);
		const b = sessions.attach('b', owners[1]!, 0);
		sessions.attach('c', owners[2]!, 0);
		vi.setSystemTime(1_000_100);
		sessions.release(b, owners[1]!);
		vi.setSystemTime(1_000_200);
		sessions.release(a, owners[0]!);
		sessions.attach('d', {}, 0);
		// b was released first, so it goes first.
		expect(idsOf(sessions)).toEqual(['a', 'c', 'd']);
	});

	test('evicts no more than needed', () => {
		const sessions = new WriteSessions({ ...options, maxSessions: 3 });
		for (const id of ['a', 'b', 'c']) {
			const owner = {};
			sessions.release(sessions.attach(id, owner, 0), owner);
		}
		sessions.attach('d', {}, 0);
		expect(sessions.size).toBe(3);
		expect(idsOf(sessions)).toContain('d');
	});
});
