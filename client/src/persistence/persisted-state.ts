import { indexedDbPersistence } from './indexeddb';
import type { CachedValue, ClientPersistence, NumberedWrite, Restored } from './persistence';

/**
 * Opens the client's IndexedDB persistence named `name` and hands what it found to `restore`.
 * The client loads this module (and the browser build fetches its chunk) only when asked for
 * persistence.
 */
export async function openPersisted(name: string, restore: (restored: Restored) => void): Promise<PersistedState> {
	const store = indexedDbPersistence(name, (message) => console.warn(message));
	const restored = await store.open();
	restore(restored);
	return new PersistedState(store, restored.values);
}

/** How long a subscribed path's changes gather before its value is stored. */
const SAVE_AFTER_MS = 200;

/**
 * What the client keeps across page loads, over an open `ClientPersistence`: it stores writes as
 * they become ready and forgets them once answered, stores subscribed values a moment after they
 * change, and gives listeners the cached value of their path until the server's arrives.
 */
export class PersistedState {
	private readonly unsaved = new Map<string, () => CachedValue | null>();
	private timer: ReturnType<typeof setTimeout> | undefined;

	constructor(
		private readonly store: ClientPersistence,
		/** The values the page before left. */
		private readonly values: ReadonlyMap<string, CachedValue>,
	) {}

	writeReady(session: string, nextSeq: number, message: NumberedWrite): void {
		this.store.writeReady(session, nextSeq, message);
	}

	writeSettled(seq: number): void {
		this.store.writeSettled(seq);
	}

	/** The value at a subscribed path changed; `read` gives it (null when there is none) when it is stored. */
	valueChanged(path: string, read: () => CachedValue | null): void {
		this.unsaved.set(path, read);
		this.timer ??= setTimeout(() => this.save(), SAVE_AFTER_MS);
	}

	private save(): void {
		this.timer = undefined;
		for (const [path, read] of this.unsaved) this.store.valueChanged(path, read());
		this.unsaved.clear();
	}

	/** Calls `deliver` with the cached value at `path` (read from a cached path at or above it), unless `answered()` says the server's value (or the end of the listener) came first. */
	deliverCached(path: string, answered: () => boolean, deliver: (value: CachedValue) => void): void {
		if (answered()) return;
		const cached = cachedAt(this.values, path);
		if (cached !== undefined) deliver(cached);
	}
}

/** The value at `path` inside the nearest cached path at or above it. */
function cachedAt(values: ReadonlyMap<string, CachedValue>, path: string): CachedValue | undefined {
	const segments = path === '' ? [] : path.split('/');
	for (let depth = segments.length; depth >= 0; depth--) {
		const cached = values.get(segments.slice(0, depth).join('/'));
		if (cached === undefined) continue;
		let data = cached.data;
		for (const segment of segments.slice(depth)) {
			data = typeof data === 'object' && data !== null && Object.hasOwn(data, segment) ? (data as Record<string, unknown>)[segment] : null;
		}
		return depth === segments.length ? cached : { data: data ?? null };
	}
	return undefined;
}
