import { indexedDbPersistence } from './indexeddb';
import type { CachedValue, ClientPersistence, NumberedWrite, Restored } from './persistence';

/**
 * Opens the client's IndexedDB persistence named `name` and hands what it found to `restore`.
 * The client loads this module (and the browser build fetches its chunk) only when asked for
 * persistence.
 */
export async function openPersisted(name: string, restore: (restored: Restored) => void): Promise<PersistedState> {
	const state = new PersistedState(Promise.resolve(indexedDbPersistence(name, (message) => console.warn(message))), restore);
	await state.opened;
	return state;
}

/** Keeps nothing: what a client without a working store uses. */
const IN_MEMORY: ClientPersistence = {
	open: () => Promise.resolve({ values: new Map() }),
	writeReady: () => undefined,
	writeSettled: () => undefined,
	valueChanged: () => undefined,
};

/** How long a subscribed path's changes gather before its value is stored. */
const SAVE_AFTER_MS = 200;

/**
 * What the client keeps across page loads, over a `ClientPersistence`: it opens the store,
 * hands what it found to `restore`, stores writes as they become ready and forgets them once
 * answered, stores subscribed values a moment after they change, and gives listeners the
 * cached value of their path until the server's arrives.
 */
export class PersistedState {
	private store: ClientPersistence | undefined;
	/** What was asked of the store before it was loaded, in order. */
	private readonly early: ((store: ClientPersistence) => void)[] = [];
	private values: ReadonlyMap<string, CachedValue> = new Map();
	private isOpen = false;
	/** Deliveries of cached values waiting for the store to open. */
	private readonly waiting = new Set<() => void>();
	private readonly unsaved = new Map<string, () => CachedValue | null>();
	private timer: ReturnType<typeof setTimeout> | undefined;
	/** Resolves once the store is open and `restore` ran (also when the store failed: the client then goes on in memory). */
	readonly opened: Promise<void>;

	/** `loading` is the store, loaded apart from the client (the browser build fetches it only when asked for). */
	constructor(loading: Promise<ClientPersistence>, restore: (restored: Restored) => void) {
		this.opened = loading
			.then(
				async (store) => {
					const restored = await store.open();
					this.loaded(store);
					return restored;
				},
				(error: unknown) => {
					console.warn(`[socketdb] offline persistence is off (it could not be loaded: ${String(error)}); unsent writes and values are kept in memory only`);
					this.loaded(IN_MEMORY);
					return { values: new Map() } satisfies Restored;
				},
			)
			.then((restored) => {
				this.values = restored.values;
				restore(restored);
				this.isOpen = true;
				for (const deliver of [...this.waiting]) deliver();
				this.waiting.clear();
			});
	}

	private loaded(store: ClientPersistence): void {
		this.store = store;
		for (const call of this.early.splice(0)) call(store);
	}

	private use(call: (store: ClientPersistence) => void): void {
		if (this.store !== undefined) call(this.store);
		else this.early.push(call);
	}

	writeReady(session: string, nextSeq: number, message: NumberedWrite): void {
		this.use((store) => store.writeReady(session, nextSeq, message));
	}

	writeSettled(seq: number): void {
		this.use((store) => store.writeSettled(seq));
	}

	/** The value at a subscribed path changed; `read` gives it (null when there is none) when it is stored. */
	valueChanged(path: string, read: () => CachedValue | null): void {
		this.unsaved.set(path, read);
		this.timer ??= setTimeout(() => this.save(), SAVE_AFTER_MS);
	}

	private save(): void {
		this.timer = undefined;
		for (const [path, read] of this.unsaved) {
			const value = read();
			this.use((store) => store.valueChanged(path, value));
		}
		this.unsaved.clear();
	}

	/**
	 * Calls `deliver` with the cached value at `path` (read from a cached path at or above it), at
	 * once or when the store opens, unless `answered()` says the server's value (or the end of the
	 * listener) came first.
	 */
	deliverCached(path: string, answered: () => boolean, deliver: (value: CachedValue) => void): void {
		const run = () => {
			if (answered()) return;
			const cached = cachedAt(this.values, path);
			if (cached !== undefined) deliver(cached);
		};
		if (this.isOpen) queueMicrotask(run);
		else this.waiting.add(run);
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
