/**
 * A cache of at most about `2 × size` entries that keeps what is used: entries live in a
 * young and an old generation; when the young one fills up it becomes the old one (the
 * previous old one is dropped), and a hit in the old generation moves the entry back.
 * Constant time per operation, no bookkeeping per entry.
 */
export class BoundedCache<K, V> {
	#young = new Map<K, V>();
	#old = new Map<K, V>();

	readonly #size: number;

	constructor(size: number) {
		this.#size = size;
	}

	get(key: K): V | undefined {
		const value = this.#young.get(key);
		if (value !== undefined) return value;
		const aged = this.#old.get(key);
		if (aged !== undefined) this.set(key, aged);
		return aged;
	}

	set(key: K, value: V): void {
		if (this.#young.size >= this.#size) {
			this.#old = this.#young;
			this.#young = new Map();
		}
		this.#young.set(key, value);
	}
}
