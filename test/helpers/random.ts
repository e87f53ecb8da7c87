/** A small seeded PRNG (mulberry32), so randomized tests can print and replay their seed. */
export function seededRandom(seed: number) {
	let state = seed >>> 0;
	const next = () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	return {
		next,
		int: (max: number) => Math.floor(next() * max),
		pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
		chance: (p: number) => next() < p,
	};
}

export type Random = ReturnType<typeof seededRandom>;

/** Just the numbers in [0, 1) of a seeded generator. */
export function randomNumbers(seed: number): () => number {
	return seededRandom(seed).next;
}
