import type { CachedValue, ClientPersistence, NumberedWrite, Restored } from './persistence';

/** Pages of one origin that may keep their writes at once, each in a slot of its own. */
const SLOTS = 16;
const SESSIONS = 'sessions';
const WRITES = 'writes';
const VALUES = 'values';

type SessionRecord = { session: string; nextSeq: number };

/**
 * The client's persistence in IndexedDB, database `socketdb:<name>`. A page takes one of
 * `SLOTS` slots (a Web Lock held for the page's life, so two open tabs never take the same one):
 * the slot holds the page's write session and its unanswered writes, so that writes are sent
 * once, by one page. Values are shared by every page. When IndexedDB is missing or fails (over
 * quota, say), `warn` is told once and the client goes on in memory.
 */
export function indexedDbPersistence(name: string, warn: (message: string) => void): ClientPersistence {
	let db: IDBDatabase | undefined;
	let slot = 0;
	let off = false;

	const turnOff = (error: unknown) => {
		if (off) return;
		off = true;
		db?.close();
		db = undefined;
		const reason = error instanceof Error || error instanceof DOMException ? `${error.name}: ${error.message}` : String(error);
		warn(`[socketdb] offline persistence is off (${reason}); unsent writes and values are kept in memory only`);
	};
	const write = (stores: string[], run: (transaction: IDBTransaction) => void) => {
		if (db === undefined) return;
		try {
			const transaction = db.transaction(stores, 'readwrite');
			transaction.onerror = () => turnOff(transaction.error);
			transaction.onabort = () => turnOff(transaction.error ?? new Error('a transaction was aborted'));
			run(transaction);
		} catch (error) {
			turnOff(error);
		}
	};

	return {
		async open(): Promise<Restored> {
			try {
				const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
				if (factory === undefined || factory === null) throw new Error('IndexedDB is not available here');
				slot = await claimSlot(name);
				db = await openDatabase(factory, `socketdb:${name}`);
				const transaction = db.transaction([SESSIONS, WRITES, VALUES], 'readonly');
				const [session, pending, paths, values] = await Promise.all([
					request<SessionRecord | undefined>(transaction.objectStore(SESSIONS).get(slot)),
					request<NumberedWrite[]>(transaction.objectStore(WRITES).getAll(IDBKeyRange.bound([slot, 0], [slot, Infinity]))),
					request<IDBValidKey[]>(transaction.objectStore(VALUES).getAllKeys()),
					request<CachedValue[]>(transaction.objectStore(VALUES).getAll()),
				]);
				const cached = new Map<string, CachedValue>();
				paths.forEach((path, index) => cached.set(path as string, values[index]!));
				if (session === undefined) return { values: cached };
				const nextSeq = Math.max(session.nextSeq, ...pending.map((message) => message.seq + 1));
				return { writes: { session: session.session, nextSeq, pending }, values: cached };
			} catch (error) {
				turnOff(error);
				return { values: new Map() };
			}
		},
		writeReady(session, nextSeq, message) {
			write([SESSIONS, WRITES], (transaction) => {
				transaction.objectStore(SESSIONS).put({ session, nextSeq } satisfies SessionRecord, slot);
				transaction.objectStore(WRITES).put(message, [slot, message.seq]);
			});
		},
		writeSettled(seq) {
			write([WRITES], (transaction) => transaction.objectStore(WRITES).delete([slot, seq]));
		},
		valueChanged(path, value) {
			write([VALUES], (transaction) => {
				if (value === null) transaction.objectStore(VALUES).delete(path);
				else transaction.objectStore(VALUES).put(value, path);
			});
		},
	};
}

function request<T>(req: IDBRequest): Promise<T> {
	return new Promise((resolve, reject) => {
		req.onsuccess = () => resolve(req.result as T);
		req.onerror = () => reject(req.error);
	});
}

function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
	return new Promise((resolve, reject) => {
		const opening = factory.open(name, 1);
		opening.onupgradeneeded = () => {
			const db = opening.result;
			db.createObjectStore(SESSIONS);
			db.createObjectStore(WRITES);
			db.createObjectStore(VALUES);
		};
		opening.onsuccess = () => resolve(opening.result);
		opening.onerror = () => reject(opening.error);
		opening.onblocked = () => reject(new Error('another page holds an older version of the database open'));
	});
}

/** The first free slot, held (by a Web Lock) until the page goes; slot 0 where there are no locks. */
async function claimSlot(name: string): Promise<number> {
	const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
	if (locks === undefined) return 0;
	for (let slot = 0; slot < SLOTS; slot++) {
		const taken = await new Promise<boolean>((resolve) => {
			void locks.request(`socketdb:${name}:${slot}`, { ifAvailable: true }, (lock) => {
				resolve(lock !== null);
				// Held for as long as the page lives.
				return lock === null ? undefined : new Promise<never>(() => undefined);
			});
		});
		if (taken) return slot;
	}
	throw new Error(`${SLOTS} pages of this origin already keep their writes in "${name}"`);
}
