import { forEachTrieNode, MessageType, normalizePath, PathTrie, type ClientMessage } from '@socketdb/core';
import type { Listeners } from './listeners';
import { writeReaches, type LocalWrite } from './local-write';
import type { Mirror } from './mirror';
import type { ViewSubscriptions } from './optimistic-view';
import type { SnapshotAssembly } from './snapshot-assembly';

/**
 * A subscription as the client holds it: whether its value arrived, the number the server gave
 * its path, and the revision (and the database it counts in) of the value the mirror holds.
 */
/** `current`: loaded on this connection (after a reconnect, the data held waits for the server's update until then). */
type Subscription = { loaded: boolean; current?: boolean; id?: number; rev?: number; db?: string | undefined };

/**
 * Which paths the client asks the server for. Value listeners (`on`, `once`) need the
 * highest listened path subscribed: one server subscription serves every listener below
 * it. `each` listeners not covered by a value subscription need only the keys of their
 * path, which is far cheaper for big collections.
 */
export class ServerSubscriptions implements ViewSubscriptions {
	readonly #values = new PathTrie<Subscription>();
	readonly #valueByPath = new Map<string, Subscription>();
	/** Value subscriptions by the number the server gave their path. */
	readonly #pathById = new Map<number, string>();
	readonly #keys = new Map<string, Subscription & { keys: Set<string> }>();
	readonly #keyPaths = new PathTrie<true>();
	/** The database of the current connection (told in WELCOME). */
	#currentDatabase: string | undefined;
	/** Changes whenever a value subscription gets its value or goes away. */
	loadedVersion = 0;

	readonly #listeners: Listeners;
	readonly #mirror: Mirror;
	readonly #assembly: SnapshotAssembly;
	readonly #send: (message: ClientMessage) => void;

	constructor(
		listeners: Listeners,
		mirror: Mirror,
		assembly: SnapshotAssembly,
		send: (message: ClientMessage) => void,
	) {
		this.#listeners = listeners;
		this.#mirror = mirror;
		this.#assembly = assembly;
		this.#send = send;
	}

	/** The value subscription covering `path` (at it or above), if any. */
	coveringValue(path: string): Subscription | undefined {
		const node = this.#values.coveringNode(path);
		return node === undefined ? undefined : this.#valueByPath.get(node.path);
	}

	/**
	 * The value subscriptions whose values `write` may change. They never nest, so either one
	 * covers the written path or any number lie below it.
	 */
	valuesReachedBy(write: LocalWrite): readonly Subscription[] {
		if (this.#valueByPath.size === 0) return NONE;
		const covering = this.#values.coveringNode(write.path);
		if (covering !== undefined) return writeReaches(write, covering.path) ? [this.#valueByPath.get(covering.path)!] : NONE;
		const start = this.#values.find(write.path);
		if (start === undefined) return NONE;
		const found: Subscription[] = [];
		forEachTrieNode(start, (node) => {
			if (node.items !== undefined && writeReaches(write, node.path)) found.push(this.#valueByPath.get(node.path)!);
		});
		return found;
	}

	/** The database of the current connection (told in WELCOME). */
	get database(): string | undefined {
		return this.#currentDatabase;
	}

	isValueSubscribed(path: string): boolean {
		return this.#valueByPath.has(path);
	}

	keysOf(path: string): Set<string> | undefined {
		const subscription = this.#keys.get(path);
		return subscription?.loaded ? subscription.keys : undefined;
	}

	/** The paths of the value subscriptions at or below `path`. */
	valuePathsAtOrBelow(path: string): string[] {
		return subscribedAtOrBelow(this.#values, path);
	}

	/** A value listener was added at `path`. */
	valueListenerAdded(path: string): void {
		if (this.coveringValue(path) !== undefined) return;
		for (const below of this.#valueSubscriptionsBelow(path)) this.#removeValue(below);
		this.#addValue(path);
		for (const keyPath of subscribedAtOrBelow(this.#keyPaths, path)) this.#removeKeys(keyPath);
	}

	/** The last value listener at `path` is gone. */
	valueListenerRemoved(path: string): void {
		if (!this.#valueByPath.has(path)) return;
		this.#removeValue(path);
		this.#coverBelow(path, this.#listeners.highestBelow(path, 'value'));
	}

	/**
	 * The server refused the value at `path` and dropped that subscription. Its listeners get
	 * nothing; listeners below it are served by subscriptions of their own, as if it had never
	 * been there. False when the client no longer holds it.
	 */
	valueRefused(path: string): boolean {
		if (!this.#forgetValue(path)) return false;
		this.#coverBelow(path, this.#listeners.highestBelow(path, 'value', true));
		return true;
	}

	/** Subscribes the highest listened paths below `path` that lost their covering subscription. */
	#coverBelow(path: string, replacements: string[]): void {
		for (const replacement of replacements) this.#addValue(replacement);
		this.#mirror.retain(path, replacements);
		for (const eachPath of this.#listeners.pathsBelow(path, 'each')) this.eachListenerAdded(eachPath);
	}

	/** An each listener was added at `path`. */
	eachListenerAdded(path: string): void {
		if (this.coveringValue(path) !== undefined || this.#keys.has(path)) return;
		this.#keys.set(path, { loaded: false, keys: new Set() });
		this.#keyPaths.add(path, true);
		this.#send({ type: MessageType.SUBSCRIBE_KEYS, path });
	}

	/** The last each listener at `path` is gone. */
	eachListenerRemoved(path: string): void {
		if (this.#keys.has(path)) this.#removeKeys(path);
	}

	/**
	 * The server's copy of a value subscription started to arrive, with the number its changes
	 * will carry. False when the client no longer holds the subscription.
	 */
	valueStarted(path: string, id: number): boolean {
		const subscription = this.#valueByPath.get(path);
		if (subscription === undefined) return false;
		if (subscription.id !== undefined) this.#pathById.delete(subscription.id);
		subscription.id = id;
		this.#pathById.set(id, path);
		return true;
	}

	/**
	 * The server's full copy of a value subscription has arrived, or the changes that bring what
	 * the client held up to date: the mirror holds the value as of revision `rev`, and listeners may
	 * read it.
	 */
	valueLoaded(path: string, rev: number): void {
		const subscription = this.#valueByPath.get(path);
		if (subscription === undefined) return;
		if (!subscription.loaded) this.loadedVersion++;
		subscription.loaded = subscription.current = true;
		subscription.rev = rev;
		subscription.db = this.#currentDatabase;
	}

	/** Changes of a loaded value subscription, applied to the mirror, brought it to revision `rev`. */
	valueReached(path: string, rev: number): void {
		const subscription = this.#valueByPath.get(path);
		if (subscription?.rev !== undefined && rev > subscription.rev) subscription.rev = rev;
	}

	/** Whether a value subscription covering `path` holds the server's data as of this connection. */
	holdsCurrent(path: string): boolean {
		return this.coveringValue(path)?.current === true;
	}

	/** Whether the value subscription at `path` has its value. */
	isLoaded(path: string): boolean {
		return this.#valueByPath.get(path)?.loaded === true;
	}

	/** The value subscription the server's number stands for, if the client still holds it. */
	pathOf(id: number): string | undefined {
		return this.#pathById.get(id);
	}

	/**
	 * Applies a key change of a keys subscription in two steps, so listeners can be told about
	 * removals before additions (a key removed and added again is then announced again).
	 * Returns false when the client no longer holds the subscription.
	 */
	applyKeys(path: string, change: { removeAll?: boolean; removed?: readonly string[] } | { added: readonly string[] }): boolean {
		const subscription = this.#keys.get(path);
		if (subscription === undefined) return false;
		if ('added' in change) {
			for (const key of change.added) subscription.keys.add(key);
		} else {
			if (change.removeAll === true) subscription.keys.clear();
			for (const key of change.removed ?? []) subscription.keys.delete(key);
		}
		subscription.loaded = true;
		return true;
	}

	/**
	 * After a (re)connect to a server of `database`: asks for everything again. Loaded data stays
	 * usable until the fresh copies arrive; for a value the client holds at a revision of that
	 * same database, it asks only for the changes since.
	 */
	resubscribeAll(database: string | undefined): void {
		this.#currentDatabase = database;
		this.#pathById.clear();
		this.#assembly.clear();
		for (const [path, subscription] of this.#valueByPath) {
			subscription.id = undefined;
			subscription.current = false;
			const { rev } = subscription;
			const resumable = subscription.loaded && rev !== undefined && database !== undefined && subscription.db === database;
			this.#send(resumable ? { type: MessageType.SUBSCRIBE, path, since: rev } : { type: MessageType.SUBSCRIBE, path });
		}
		for (const path of this.#keys.keys()) this.#send({ type: MessageType.SUBSCRIBE_KEYS, path });
	}

	#addValue(path: string): void {
		const subscription: Subscription = { loaded: false };
		this.#values.add(path, subscription);
		this.#valueByPath.set(path, subscription);
		this.#send({ type: MessageType.SUBSCRIBE, path });
	}

	#removeValue(path: string): void {
		if (this.#forgetValue(path)) this.#send({ type: MessageType.UNSUBSCRIBE, path });
	}

	/** Drops a value subscription on the client's side only. */
	#forgetValue(path: string): boolean {
		const subscription = this.#valueByPath.get(path);
		if (subscription === undefined) return false;
		this.#values.remove(path, subscription);
		this.#valueByPath.delete(path);
		if (subscription.loaded) this.loadedVersion++;
		if (subscription.id !== undefined) this.#pathById.delete(subscription.id);
		this.#assembly.drop(path);
		return true;
	}

	#removeKeys(path: string): void {
		this.#keys.delete(path);
		this.#keyPaths.remove(path, true);
		this.#send({ type: MessageType.UNSUBSCRIBE_KEYS, path });
	}

	#valueSubscriptionsBelow(path: string): string[] {
		return subscribedAtOrBelow(this.#values, path).filter((found) => found !== normalizePath(path));
	}
}

const NONE: readonly Subscription[] = [];

/** Paths at or below `path` that hold an item in `trie`. */
function subscribedAtOrBelow<T>(trie: PathTrie<T>, path: string): string[] {
	const start = trie.find(path);
	if (start === undefined) return [];
	const found: string[] = [];
	forEachTrieNode(start, (node) => {
		if (node.items !== undefined) found.push(node.path);
	});
	return found;
}
