import { invalidKeyReason } from '@socketdb/core';
import { describe, expect, test } from 'vitest';
import { PUSH_ID_ALPHABET, PushIdGenerator } from './push-id';

/** A clock the test moves by hand. */
function manualClock(start: number) {
	const clock = { time: start, now: () => clock.time };
	return clock;
}

/** Random bytes from a fixed list, repeated. */
const fixedRandom = (byte: number) => (bytes: Uint8Array) => void bytes.fill(byte);

/** The time a key holds, read back from its first 8 characters. */
function timeOf(key: string): number {
	let time = 0;
	for (const char of key.slice(0, 8)) time = time * 64 + PUSH_ID_ALPHABET.indexOf(char);
	return time;
}

const ascending = (keys: string[]) => keys.every((key, i) => i === 0 || keys[i - 1]! < key);

describe('PushIdGenerator', () => {
	test('the alphabet has 64 distinct characters in ASCII order', () => {
		expect(new Set(PUSH_ID_ALPHABET).size).toBe(64);
		expect([...PUSH_ID_ALPHABET].sort().join('')).toBe(PUSH_ID_ALPHABET);
	});

	test('keys are 20 characters of the alphabet and valid path segments', () => {
		const ids = new PushIdGenerator();
		for (let i = 0; i < 1_000; i++) {
			const key = ids.next();
			expect(key).toMatch(/^[-0-9A-Z_a-z]{20}$/);
			expect(invalidKeyReason(key)).toBeNull();
		}
	});

	test('the first 8 characters hold the time in milliseconds', () => {
		for (const time of [0, 1, 63, 64, 1_700_000_000_000, 2 ** 48 - 1]) {
			const key = new PushIdGenerator({ now: () => time }).next();
			expect(timeOf(key)).toBe(time);
		}
		expect(new PushIdGenerator({ now: () => 0, random: fixedRandom(0) }).next()).toBe('-'.repeat(20));
	});

	test('a later millisecond sorts after an earlier one, whatever the randomness', () => {
		const clock = manualClock(1_700_000_000_000);
		let byte = 0xff;
		const ids = new PushIdGenerator({ now: clock.now, random: (bytes) => void bytes.fill(byte) });
		const early = ids.next();
		clock.time += 1;
		byte = 0;
		const late = ids.next();
		expect(early < late).toBe(true);
		expect(timeOf(late) - timeOf(early)).toBe(1);
	});

	test('keys made within one millisecond are strictly increasing: the random part counts up', () => {
		const ids = new PushIdGenerator({ now: () => 1_700_000_000_000, random: fixedRandom(0x3e) });
		const keys = Array.from({ length: 1_000 }, () => ids.next());
		expect(ascending(keys)).toBe(true);
		expect(keys.map(timeOf)).toEqual(keys.map(() => 1_700_000_000_000));
		expect(keys[0]!.slice(8)).toBe(PUSH_ID_ALPHABET[0x3e]!.repeat(12));
		// Digit 62 is 'y', 63 is 'z' and 0 is '-': after 'y…yz' the last digit wraps and carries.
		expect(keys[1]!.slice(8)).toBe(`${'y'.repeat(11)}z`);
		expect(keys[2]!.slice(8)).toBe(`${'y'.repeat(10)}z-`);
	});

	test('keys stay increasing when the clock goes back', () => {
		const clock = manualClock(1_700_000_000_000);
		const ids = new PushIdGenerator({ now: clock.now });
		const keys = [ids.next(), ids.next()];
		clock.time -= 60_000;
		keys.push(ids.next(), ids.next());
		clock.time += 30_000;
		keys.push(ids.next());
		expect(ascending(keys)).toBe(true);
		expect(keys.map(timeOf)).toEqual(keys.map(() => 1_700_000_000_000));
		clock.time = 1_700_000_000_001;
		const next = ids.next();
		expect(next > keys[keys.length - 1]!).toBe(true);
		expect(timeOf(next)).toBe(1_700_000_000_001);
	});

	test('a random part that overflows moves the time on by one millisecond, keeping the order', () => {
		const ids = new PushIdGenerator({ now: () => 1_700_000_000_000, random: fixedRandom(0xff) });
		const keys = [ids.next(), ids.next(), ids.next()];
		expect(keys[0]!.slice(8)).toBe('z'.repeat(12));
		expect(timeOf(keys[1]!)).toBe(1_700_000_000_001);
		expect(timeOf(keys[2]!)).toBe(1_700_000_000_002);
		expect(ascending(keys)).toBe(true);
	});

	test('generators sharing a clock make different keys', () => {
		const clock = manualClock(1_700_000_000_000);
		const a = new PushIdGenerator({ now: clock.now });
		const b = new PushIdGenerator({ now: clock.now });
		const keys = new Set<string>();
		for (let i = 0; i < 1_000; i++) keys.add(a.next()).add(b.next());
		expect(keys.size).toBe(2_000);
	});
});
