import { cloneNode, encodeMessage, forEachCommonChild, forEachTrieNode, isEmptyObject, isObject, mergeNode, MessageType, parsePath, PathTrie, segmentsOf, storeChildren, type DataOp, type Node, type NodeDiff, type ServerMessage, type Store, type TrieNode } from '@socketdb/core';
import { batchDelay } from './batch-interval';

/** What kind of subscription a fanned-out message serves. */
export type SubscriptionKind = 'value' | 'keys' | 'query';

/** Told of every change the fan-out publishes, after the store applied it (the live queries). */
export interface ChangeObserver {
	changed(diff: NodeDiff, revision: number): void;
	deleted(path: string, revision: number): void;
}

/** Someone who receives encoded messages (a connection). */
export interface Subscriber {
	/**
	 * Adds an encoded update for a subscribed path to the next frame, without scheduling a send;
	 * the same buffer may go to many subscribers. A subscriber that cannot keep up may drop it
	 * and send the path's latest state later instead.
	 */
	pushUpdate(kind: SubscriptionKind, path: string, message: Uint8Array): void;
	/** Sends everything queued so far as one frame. */
	flush(): void;
}

/** Flushes cheaper than this go out at the end of the tick; dearer ones pace the next flush (ms). */
const MIN_PACE_MS = 1;
/** The longest a flush is held back for pacing (ms). */
const MAX_PACE_MS = 20;

/** Changes waiting for the next flush, for one subscribed path. */
type PendingOps = { ops: DataOp[]; lastIsOwnCopy: boolean; revision: number; joined?: number[] };
/** Key changes waiting for the next flush, for one path watched by `each`. */
type PendingKeys = { reset: boolean; added: Set<string>; removed: Set<string> };
/** Keys that did not exist before a write, per path watched by `each`. */
export type KeysProbe = Map<string, Set<string>>;

/**
 * Fan-out: who watches which path, and getting each change to them.
 *
 * Subscriptions sit in tries keyed by path segment, so a change visits only its
 * ancestors and its own subtree. Changes are collected per subscribed path for one
 * `updateInterval` (merged, latest state wins) and then encoded once per path; the
 * same bytes go to every subscriber of that path.
 */
export class FanOut {
	private readonly values = new PathTrie<Subscriber>();
	private readonly keys = new PathTrie<Subscriber>();
	private pendingData = new Map<string, PendingOps>();
	private pendingKeys = new Map<string, PendingKeys>();
	/** The number DATA messages use for each subscribed path; never reused. */
	private readonly ids = new Map<string, number>();
	private nextId = 1;
	private timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | undefined;
	/** How long the last flush took, in milliseconds (for pacing flushes when `updateInterval` is 0). */
	private lastFlushMs = 0;
	/** When the last flush began (`performance.now()` time). */
	private lastFlushAt = -Infinity;
	/** When the scheduled flush is due (`performance.now()` time); see `flushIfOverdue`. */
	private dueAt = Infinity;
	/** The revision of the last change published: every DATA message says its state is that recent. */
	private revision = 0;
	/** Told of every change published. */
	observer: ChangeObserver | undefined;

	constructor(readonly updateInterval: number) {}

	/**
	 * Adds a subscriber; the caller sends it the current value. Changes still queued for the
	 * path predate that value, so they go out to the existing subscribers first.
	 */
	subscribeValue(subscriber: Subscriber, path: string): number {
		this.flushPath(this.pendingData, this.values, 'value', path, (ops) => this.dataMessage(path, ops));
		this.values.add(path, subscriber);
		let id = this.ids.get(path);
		if (id === undefined) this.ids.set(path, (id = this.nextId++));
		return id;
	}

	unsubscribeValue(subscriber: Subscriber, path: string): boolean {
		const removed = this.values.remove(path, subscriber);
		if (this.values.itemsAt(path) === undefined) {
			this.pendingData.delete(path);
			this.ids.delete(path);
		}
		return removed;
	}

	/** Adds a keys subscriber; like `subscribeValue`, queued key changes go out to the others first. */
	subscribeKeys(subscriber: Subscriber, path: string): boolean {
		this.flushPath(this.pendingKeys, this.keys, 'keys', path, (keys) => keysMessage(path, keys));
		return this.keys.add(path, subscriber);
	}

	unsubscribeKeys(subscriber: Subscriber, path: string): boolean {
		const removed = this.keys.remove(path, subscriber);
		if (this.keys.itemsAt(path) === undefined) this.pendingKeys.delete(path);
		return removed;
	}

	/** The revision of the last change published (what DATA going out now says its state is as of). */
	get latestRevision(): number {
		return this.revision;
	}

	/**
	 * A write at `path` (`node`: the diff written there; none for a delete) was answered: each of
	 * `subscriber`'s value subscriptions the write reaches is told that it is as of the latest
	 * revision. Where changes are queued for one, their DATA says so when it goes out; where none
	 * are, the subscriber already holds the current value and gets a DATA without ops now. So a
	 * client that showed its write before the server answered knows, by the ACK's revision, when
	 * each of its subscriptions holds the write (a write that changed nothing included).
	 */
	confirmCurrent(subscriber: Subscriber, path: string, node: NodeDiff | undefined): void {
		if (this.values.size === 0) return;
		const confirm = (trie: TrieNode<Subscriber>) => {
			if (trie.items?.has(subscriber) !== true || this.pendingData.has(trie.path)) return;
			subscriber.pushUpdate('value', trie.path, encodeMessage({ type: MessageType.DATA, id: this.ids.get(trie.path)!, ops: [], rev: this.revision }));
		};
		let trie: TrieNode<Subscriber> | undefined = this.values.root;
		for (const key of segmentsOf(path)) {
			confirm(trie);
			trie = trie.child(key);
			if (trie === undefined) return;
		}
		this.confirmAlong(trie, node, confirm);
	}

	/** The subscriptions at and below `trie` that a diff (none: a delete) at its path reaches. */
	private confirmAlong(trie: TrieNode<Subscriber>, node: NodeDiff | undefined, confirm: (trie: TrieNode<Subscriber>) => void): void {
		confirm(trie);
		if (trie.children === undefined) return;
		const value = node?.value;
		if (node !== undefined && isObject(value)) {
			forEachCommonChild(trie, value, (child, next) => {
				if (isObject(next)) this.confirmAlong(child, next as NodeDiff, confirm);
			});
		} else if (node === undefined || value !== undefined) {
			// Deleted, or replaced by a leaf: everything below is reached.
			for (const child of trie.children.values()) this.forEachSubscribedBelow(child, confirm);
		}
	}

	/** The number DATA messages carry for `path`, while anybody subscribes to it. */
	idOf(path: string): number | undefined {
		return this.ids.get(path);
	}

	/** Number of value and key subscriptions held. */
	get size(): number {
		return this.values.size + this.keys.size;
	}

	/**
	 * Before a write is applied: for every path watched by `each` that the write reaches,
	 * the keys it brings that do not exist yet. `undefined` when no such path is reached.
	 */
	probeKeys(diff: NodeDiff, store: Store): KeysProbe | undefined {
		if (this.keys.size === 0) return undefined;
		let probe: KeysProbe | undefined;
		const visit = (trie: TrieNode<Subscriber>, node: NodeDiff) => {
			if (!isObject(node.value)) return;
			if (trie.items !== undefined) {
				const holds = storeChildren(store, trie.path);
				for (const key of Object.keys(node.value)) {
					if (!holds(key)) {
						let added = (probe ??= new Map()).get(trie.path);
						if (added === undefined) probe.set(trie.path, (added = new Set<string>()));
						added.add(key);
					}
				}
			}
			forEachCommonChild(trie, node.value, (child, next) => {
				if (isObject(next)) visit(child, next as NodeDiff);
			});
		};
		visit(this.keys.root, diff);
		return probe;
	}

	/** Queues an applied, root-anchored diff, the change of `revision`, for everyone it affects. */
	publishChange(diff: NodeDiff, probe: KeysProbe | undefined, revision: number): void {
		this.revision = revision;
		this.walkValues(this.values.root, diff);
		if (this.keys.size > 0) this.walkKeys(this.keys.root, diff, probe);
		this.schedule();
		this.observer?.changed(diff, revision);
	}

	/** Queues the deletion of `path`, the change of `revision`, for everyone it affects. */
	publishDelete(path: string, revision: number): void {
		this.revision = revision;
		const segments = parsePath(path);
		let values: TrieNode<Subscriber> | undefined = this.values.root;
		let keys: TrieNode<Subscriber> | undefined = this.keys.root;
		for (let depth = 0; depth < segments.length; depth++) {
			if (values?.items !== undefined) this.queueData(values.path, segments.slice(depth).join('/'));
			if (keys?.items !== undefined && depth === segments.length - 1) this.queueKeys(keys.path, (pending) => removeKey(pending, segments[depth]!));
			values = values?.child(segments[depth]!);
			keys = keys?.child(segments[depth]!);
		}
		if (values !== undefined) this.forEachSubscribedBelow(values, (node) => this.queueData(node.path, ''));
		if (keys !== undefined) this.forEachSubscribedBelow(keys, (node) => this.queueKeys(node.path, resetKeys));
		this.schedule();
		this.observer?.deleted(path, revision);
	}

	/** Flushes now if the scheduled flush is overdue (its timer is held up by a long event-loop turn). */
	flushIfOverdue(now: number): void {
		if (now < this.dueAt) return;
		if (this.updateInterval > 0) clearTimeout(this.timer as ReturnType<typeof setTimeout>);
		else {
			clearTimeout(this.timer as ReturnType<typeof setTimeout>);
			clearImmediate(this.timer as ReturnType<typeof setImmediate>);
		}
		this.flush();
	}

	/** Sends everything queued now. */
	flush(): void {
		this.timer = undefined;
		this.dueAt = Infinity;
		const data = this.pendingData;
		const keys = this.pendingKeys;
		if (data.size === 0 && keys.size === 0) return;
		const started = performance.now();
		this.lastFlushAt = started;
		this.pendingData = new Map();
		this.pendingKeys = new Map();
		const touched = new Set<Subscriber>();
		for (const [path, pending] of data) deliver(this.values.itemsAt(path), 'value', path, this.dataMessage(path, pending), touched);
		for (const [path, pending] of keys) deliver(this.keys.itemsAt(path), 'keys', path, keysMessage(path, pending), touched);
		for (const subscriber of touched) subscriber.flush();
		this.lastFlushMs = performance.now() - started;
	}

	private dataMessage(path: string, pending: PendingOps): ServerMessage {
		const message: ServerMessage = { type: MessageType.DATA, id: this.ids.get(path)!, ops: pending.ops, rev: this.revision };
		if (pending.joined !== undefined) message.joined = pending.joined;
		return message;
	}

	/** Sends what is queued for one path right away. */
	private flushPath<P>(pending: Map<string, P>, trie: PathTrie<Subscriber>, kind: SubscriptionKind, path: string, message: (pending: P) => ServerMessage): void {
		const queued = pending.get(path);
		if (queued === undefined) return;
		pending.delete(path);
		const touched = new Set<Subscriber>();
		deliver(trie.itemsAt(path), kind, path, message(queued), touched);
		for (const subscriber of touched) subscriber.flush();
	}

	/** Stops the flush timer, dropping anything queued. */
	stop(): void {
		if (this.timer !== undefined) {
			clearTimeout(this.timer as ReturnType<typeof setTimeout>);
			clearImmediate(this.timer as ReturnType<typeof setImmediate>);
		}
		this.timer = undefined;
		this.dueAt = Infinity;
		this.pendingData.clear();
		this.pendingKeys.clear();
	}

	/**
	 * Starts the batch timer. With an interval, see `batchDelay`. Without one, it goes out at the end of this tick, unless the previous flush was expensive (a
	 * large fan-out): then it waits as long as that flush took, so that under load the changes
	 * arriving meanwhile share frames instead of each costing a write per subscriber. Nothing is
	 * merged either way; the delay is at most one flush's duration and only happens when flushes
	 * are slow.
	 */
	private schedule(): void {
		if (this.timer !== undefined || (this.pendingData.size === 0 && this.pendingKeys.size === 0)) return;
		if (this.updateInterval > 0) {
			const now = performance.now();
			const delay = batchDelay(this.updateInterval, this.lastFlushAt, now);
			this.dueAt = now + delay;
			this.timer = setTimeout(() => this.flush(), delay);
			return;
		}
		const pace = Math.min(this.lastFlushMs, MAX_PACE_MS);
		this.timer = pace >= MIN_PACE_MS ? setTimeout(() => this.flush(), pace) : setImmediate(() => this.flush());
		this.dueAt = performance.now() + Math.max(pace, MIN_PACE_MS);
	}

	private walkValues(trie: TrieNode<Subscriber>, diff: NodeDiff): void {
		if (trie.items !== undefined) this.queueData(trie.path, diff);
		if (trie.children === undefined) return;
		const value = diff.value;
		if (isObject(value)) {
			forEachCommonChild(trie, value, (child, next) => this.walkValues(child, next as NodeDiff));
		} else if (value !== undefined) {
			// The node became a leaf: every path below it is gone.
			for (const child of trie.children.values()) this.forEachSubscribedBelow(child, (node) => this.queueData(node.path, ''));
		}
	}

	private walkKeys(trie: TrieNode<Subscriber>, diff: NodeDiff, probe: KeysProbe | undefined): void {
		const value = diff.value;
		if (value === undefined) return;
		if (!isObject(value)) {
			this.forEachSubscribedBelow(trie, (node) => this.queueKeys(node.path, resetKeys));
			return;
		}
		if (trie.items !== undefined) {
			const created = probe?.get(trie.path);
			if (created !== undefined) {
				const added = [...created].filter((key) => key in value);
				if (added.length > 0) this.queueKeys(trie.path, (pending) => added.forEach((key) => pending.added.add(key)));
			}
		}
		forEachCommonChild(trie, value, (child, next) => this.walkKeys(child, next as NodeDiff, probe));
	}

	private forEachSubscribedBelow(node: TrieNode<Subscriber>, visit: (node: TrieNode<Subscriber>) => void): void {
		forEachTrieNode(node, (each) => {
			if (each.items !== undefined) visit(each);
		});
	}

	private queueData(path: string, op: DataOp): void {
		const pending = this.pendingData.get(path);
		if (pending === undefined) {
			this.pendingData.set(path, { ops: [op], lastIsOwnCopy: false, revision: this.revision });
			return;
		}
		// Another op of the write that queued the last one (a write of several paths).
		const sameWrite = pending.revision === this.revision;
		pending.revision = this.revision;
		if (op === '') {
			pending.ops = [''];
			pending.lastIsOwnCopy = false;
			pending.joined = undefined;
			return;
		}
		const last = pending.ops[pending.ops.length - 1];
		if (this.updateInterval > 0 && typeof op !== 'string' && last !== undefined && typeof last !== 'string' && canMerge(last, op)) {
			const target = pending.lastIsOwnCopy ? last : cloneNode(last);
			mergeNode(target as Node, op);
			pending.ops[pending.ops.length - 1] = target;
			pending.lastIsOwnCopy = true;
			return;
		}
		pending.ops.push(op);
		pending.lastIsOwnCopy = false;
		if (sameWrite) (pending.joined ??= []).push(pending.ops.length - 1);
	}

	private queueKeys(path: string, change: (pending: PendingKeys) => void): void {
		let pending = this.pendingKeys.get(path);
		if (pending === undefined) this.pendingKeys.set(path, (pending = { reset: false, added: new Set(), removed: new Set() }));
		change(pending);
	}
}

/** Encodes `message` once and queues the same bytes to every subscriber. */
function deliver(subscribers: ReadonlySet<Subscriber> | undefined, kind: SubscriptionKind, path: string, message: ServerMessage, touched: Set<Subscriber>): void {
	if (subscribers === undefined) return;
	const bytes = encodeMessage(message);
	for (const subscriber of subscribers) {
		subscriber.pushUpdate(kind, path, bytes);
		touched.add(subscriber);
	}
}

function keysMessage(path: string, pending: PendingKeys): ServerMessage {
	return { type: MessageType.KEYS, path, reset: pending.reset, added: [...pending.added], removed: [...pending.removed] };
}

function resetKeys(pending: PendingKeys): void {
	pending.reset = true;
	pending.added.clear();
	pending.removed.clear();
}

function removeKey(pending: PendingKeys, key: string): void {
	pending.added.delete(key);
	pending.removed.add(key);
}

/**
 * Whether applying `next` after `previous` equals applying their merge. It does not
 * where `next` turns a leaf that `previous` set back into an object: applied in order,
 * the object holds only `next`'s keys, merged it would keep the old ones.
 */
export function canMerge(previous: NodeDiff, next: NodeDiff): boolean {
	const value = next.value;
	if (!isObject(value) || isEmptyObject(value)) return true;
	const before = previous.value;
	if (before === undefined) return true;
	if (!isObject(before)) return false;
	for (const key of Object.keys(value)) {
		const earlier = before[key];
		if (earlier !== undefined && !canMerge(earlier as NodeDiff, value[key] as NodeDiff)) return false;
	}
	return true;
}

