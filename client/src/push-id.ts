/**
 * The 64 characters of push keys, in ASCII order, so keys compare as strings in the order of
 * their digits. Firebase uses the same alphabet, so its keys and ours sort alike.
 */
export const PUSH_ID_ALPHABET = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';

/** Characters of a key that hold the time (6 bits each: 48 bits of milliseconds, until the year 10889). */
const TIME_CHARS = 8;
/** Characters of a key that hold randomness (72 bits), so keys of different clients do not collide. */
const RANDOM_CHARS = 12;
const MAX_DIGIT = 63;

export type PushIdSources = {
	/** The time in epoch milliseconds. @default Date.now */
	now?: () => number;
	/** Fills `bytes` with random values. @default crypto.getRandomValues */
	random?: (bytes: Uint8Array) => void;
};

/**
 * Makes keys for `push`: 20 characters, 8 of the creation time and 12 of randomness, so that they
 * sort by creation time and keys of different clients do not collide. The keys of one generator
 * are strictly increasing: a key made in the same millisecond as the one before (or after the
 * clock went back) repeats that key's time and increments its random part by one.
 *
 * @example new PushIdGenerator().next() // '-P7nMr0p9b_2AWkL2IIN'
 */
export class PushIdGenerator {
	readonly #now: () => number;
	readonly #random: (bytes: Uint8Array) => void;
	#lastTime = -1;
	/** The random part of the last key, one base-64 digit (0 to 63) per character. */
	readonly #digits = new Uint8Array(RANDOM_CHARS);

	constructor({ now = Date.now, random = (bytes) => void globalThis.crypto.getRandomValues(bytes) }: PushIdSources = {}) {
		this.#now = now;
		this.#random = random;
	}

	next(): string {
		const now = Math.max(0, Math.floor(this.#now()));
		if (now > this.#lastTime) {
			this.#lastTime = now;
			this.#randomDigits();
		} else if (!this.#increment()) {
			// The random part was all 63s: the time moves on by one millisecond instead, which
			// keeps the order.
			this.#lastTime++;
			this.#randomDigits();
		}
		let key = '';
		let time = this.#lastTime;
		for (let i = 0; i < TIME_CHARS; i++) {
			key = PUSH_ID_ALPHABET[time % 64]! + key;
			time = Math.floor(time / 64);
		}
		for (const digit of this.#digits) key += PUSH_ID_ALPHABET[digit]!;
		return key;
	}

	#randomDigits(): void {
		this.#random(this.#digits);
		// 256 is a multiple of 64, so every digit stays equally likely.
		for (let i = 0; i < RANDOM_CHARS; i++) this.#digits[i] = this.#digits[i]! & MAX_DIGIT;
	}

	/** Adds one to the random part as a base-64 number; false when it overflowed (it is all zeros then). */
	#increment(): boolean {
		for (let i = RANDOM_CHARS - 1; i >= 0; i--) {
			if (this.#digits[i]! < MAX_DIGIT) {
				this.#digits[i] = this.#digits[i]! + 1;
				return true;
			}
			this.#digits[i] = 0;
		}
		return false;
	}
}
