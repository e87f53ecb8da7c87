import { assertPath, joinPath, SocketDBError, WriteOutcome, type Meta } from '@socketdb/core';
import { startQuery, type QueryRuntime } from './query';
import { runTransaction, type TransactionRuntime } from './transaction';
import type { ChainReference, OnDisconnect, Unsubscriber, WriteReference } from './types';

/** What references need from the client they belong to. */
export interface ReferenceRuntime {
	write(kind: 'set' | 'delete', path: string, value?: unknown, meta?: Meta): WriteOutcome;
	update(path: string, values: unknown, meta?: Meta): WriteOutcome;
	transaction: TransactionRuntime;
	onDisconnect(path: string): OnDisconnect;
	subscribeValue(path: string, callback: (data: unknown, meta?: Meta) => void, once: boolean): Unsubscriber;
	subscribeEach(path: string, callback: (key: string) => void, whole?: (keys: string[]) => void): Unsubscriber;
	/** A key for `push`: a valid path segment, later than every key this client made before. */
	pushKey(): string;
	query: QueryRuntime;
}

/** Subscriptions made through the references of one `subscribeGroup` call. */
class SubscriptionGroup {
	readonly #unsubscribers = new Set<Unsubscriber>();
	#closed = false;

	track(subscribe: () => Unsubscriber): Unsubscriber {
		if (this.#closed) return () => undefined;
		const unsubscribe = subscribe();
		const tracked = () => {
			this.#unsubscribers.delete(tracked);
			unsubscribe();
		};
		this.#unsubscribers.add(tracked);
		return tracked;
	}

	close(): void {
		this.#closed = true;
		for (const unsubscribe of [...this.#unsubscribers]) unsubscribe();
	}
}

/** The last key of `path`; `null` for the root. */
function keyOf(path: string): string | null {
	return path === '' ? null : path.slice(path.lastIndexOf('/') + 1);
}

/**
 * A reference to `path`. References are cheap objects of closures; create as many as you like.
 * `path` and `key` are getters on the class, so they cannot be assigned (accessors in an object
 * literal would make creating a reference a hundred times slower, and a shared base class
 * measurably slower).
 */
class Reference implements ChainReference {
	readonly #path: string;
	declare readonly get: ChainReference['get'];
	declare readonly set: ChainReference['set'];
	declare readonly delete: ChainReference['delete'];
	declare readonly update: ChainReference['update'];
	declare readonly transaction: ChainReference['transaction'];
	declare readonly onDisconnect: ChainReference['onDisconnect'];
	declare readonly push: ChainReference['push'];
	declare readonly on: ChainReference['on'];
	declare readonly once: ChainReference['once'];
	declare readonly each: ChainReference['each'];
	declare readonly onKeys: ChainReference['onKeys'];
	declare readonly subscribeGroup: ChainReference['subscribeGroup'];
	declare readonly orderByChild: ChainReference['orderByChild'];
	declare readonly orderByKey: ChainReference['orderByKey'];
	declare readonly orderByValue: ChainReference['orderByValue'];
	declare readonly onChild: ChainReference['onChild'];

	constructor(runtime: ReferenceRuntime, path: string, group: SubscriptionGroup | undefined) {
		this.#path = path;
		const track = (subscribe: () => Unsubscriber): Unsubscriber => (group === undefined ? subscribe() : group.track(subscribe));
		this.get = (key) => {
			const segment = String(key);
			if (segment === '*' || segment.endsWith('/*')) throw new SocketDBError('INVALID_PATH', 'You cannot use * (wildcard) as a pathname.');
			// `db.get('')` is the root itself; anywhere else an empty key would be an empty segment.
			const child = path === '' ? segment : `${path}/${segment}`;
			assertPath(child);
			return reference(runtime, child, group);
		};
		this.set = (value, meta) => awaitable(this, runtime.write('set', path, value, meta));
		this.delete = () => awaitable(this, runtime.write('delete', path));
		this.update = (values, meta) => runtime.update(path, values, meta);
		this.transaction = (update, options) => runTransaction(runtime.transaction, path, update as (current: unknown) => unknown, options) as never;
		this.onDisconnect = () => runtime.onDisconnect(path) as never;
		this.push = (value, meta) => {
			// Push keys are valid path segments by construction.
			const key = runtime.pushKey();
			const child = reference(runtime, path === '' ? key : `${path}/${key}`, group);
			const pushed = value === undefined ? awaitable(child, written()) : child.set(value, meta);
			return pushed as WriteReference & { readonly key: string };
		};
		this.on = (callback) => track(() => runtime.subscribeValue(path, callback as (data: unknown, meta?: Meta) => void, false));
		this.once = (callback) => track(() => runtime.subscribeValue(path, callback as (data: unknown, meta?: Meta) => void, true));
		this.onKeys = (callback) => track(() => runtime.subscribeEach(path, () => undefined, callback));
		this.each = (callback) => track(() => runtime.subscribeEach(path, (key) => callback(reference(runtime, joinPath(path, key), group), key as never)));
		this.orderByChild = (child) => startQuery(runtime.query, path, { child });
		this.orderByKey = () => startQuery(runtime.query, path, 'key');
		this.orderByValue = () => startQuery(runtime.query, path, 'value');
		this.onChild = (event, callback) => track(() => startQuery(runtime.query, path, 'key').onChild(event, callback as never));
		this.subscribeGroup = (callback) => {
			const inner = new SubscriptionGroup();
			const unsubscribeAll = track(() => () => inner.close());
			callback(reference(runtime, path, inner));
			return unsubscribeAll;
		};
	}

	get path(): string {
		return this.#path;
	}

	get key(): string | null {
		return keyOf(this.#path);
	}
}

/**
 * The client's API: the root reference's methods with `extras`. The root's `path` and `key` are
 * getters of its class, which a spread does not copy: they are defined read-only here.
 */
export function clientApi<API extends ChainReference>(runtime: ReferenceRuntime, extras: Omit<API, keyof ChainReference>): API {
	const root = new Reference(runtime, '', undefined);
	const api = { ...root, ...extras };
	return Object.defineProperties(api, { path: { value: root.path, enumerable: true }, key: { value: root.key, enumerable: true } }) as unknown as API;
}

// Typed as the untyped reference: the schema's types are the caller's business.
function reference(runtime: ReferenceRuntime, path: string, group: SubscriptionGroup | undefined): ChainReference {
	return new Reference(runtime, path, group);
}

/** The outcome of a push that wrote nothing: done at once. */
function written(): WriteOutcome {
	const outcome = new WriteOutcome();
	outcome.resolve();
	return outcome;
}

/**
 * A reference, made awaitable for one write's outcome. Its methods are copied one by one (an
 * object spread here costs microseconds per write); `then`, `catch` and `finally` are shared
 * on the prototype and read the outcome from the instance.
 */
class AwaitableReference implements WriteReference {
	readonly #path: string;
	declare readonly get: ChainReference['get'];
	declare readonly set: ChainReference['set'];
	declare readonly delete: ChainReference['delete'];
	declare readonly update: ChainReference['update'];
	declare readonly transaction: ChainReference['transaction'];
	declare readonly onDisconnect: ChainReference['onDisconnect'];
	declare readonly push: ChainReference['push'];
	declare readonly on: ChainReference['on'];
	declare readonly once: ChainReference['once'];
	declare readonly each: ChainReference['each'];
	declare readonly onKeys: ChainReference['onKeys'];
	declare readonly subscribeGroup: ChainReference['subscribeGroup'];
	declare readonly orderByChild: ChainReference['orderByChild'];
	declare readonly orderByKey: ChainReference['orderByKey'];
	declare readonly orderByValue: ChainReference['orderByValue'];
	declare readonly onChild: ChainReference['onChild'];
	readonly #outcome: WriteOutcome;

	constructor(reference: ChainReference, outcome: WriteOutcome) {
		this.#path = reference.path;
		this.get = reference.get;
		this.set = reference.set;
		this.delete = reference.delete;
		this.update = reference.update;
		this.transaction = reference.transaction;
		this.onDisconnect = reference.onDisconnect;
		this.push = reference.push;
		this.on = reference.on;
		this.once = reference.once;
		this.each = reference.each;
		this.onKeys = reference.onKeys;
		this.subscribeGroup = reference.subscribeGroup;
		this.orderByChild = reference.orderByChild;
		this.orderByKey = reference.orderByKey;
		this.orderByValue = reference.orderByValue;
		this.onChild = reference.onChild;
		this.#outcome = outcome;
	}

	get path(): string {
		return this.#path;
	}

	get key(): string | null {
		return keyOf(this.#path);
	}

	then<A = void, B = never>(onFulfilled?: ((value: void) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
		return this.#outcome.then(onFulfilled, onRejected);
	}

	catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<void | B> {
		return this.#outcome.catch(onRejected);
	}

	finally(onFinally?: (() => void) | null): Promise<void> {
		return this.#outcome.finally(onFinally);
	}
}

function awaitable(reference: ChainReference, outcome: WriteOutcome): WriteReference {
	return new AwaitableReference(reference, outcome);
}
