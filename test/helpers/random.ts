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

/** The few keys random trees are made of, so that random writes collide often. */
const KEYS = ['a', 'b', 'c'];

/** A path one to three levels deep over a few keys. */
export function randomPath(random: Random): string {
	const depth = 1 + random.int(3);
	return Array.from({ length: depth }, () => random.pick(KEYS)).join('/');
}

/** A small JSON value: numbers, strings, arrays, null, true and nested objects. */
export function randomValue(random: Random, depth = 0): unknown {
	const kind = random.int(depth >= 2 ? 4 : 6);
	switch (kind) {
		case 0:
			return random.int(100);
		case 1:
			return random.pick(['x', 'y', '']);
		case 2:
			return [random.int(3), random.pick(['p', 'q'])];
		case 3:
			return random.chance(0.5) ? null : true;
		default: {
			const object: Record<string, unknown> = {};
			for (let i = random.int(3); i >= 0; i--) object[random.pick(KEYS)] = randomValue(random, depth + 1);
			return object;
		}
	}
}
