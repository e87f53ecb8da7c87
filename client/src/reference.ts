import { assertPath, joinPath, SocketDBError, type Meta, type WriteOutcome } from '@socketdb/core';
import { runTransaction, type TransactionRuntime } from './transaction';
import type { ChainReference, Unsubscriber, WriteReference } from './types';

/** What references need from the client they belong to. */
export interface ReferenceRuntime {
	write(kind: 'set' | 'delete', path: string, value?: unknown, meta?: Meta): WriteOutcome;
	update(path: string, values: unknown, meta?: Meta): WriteOutcome;
	transaction: TransactionRuntime;
	subscribeValue(path: string, callback: (data: unknown, meta?: Meta) => void, once: boolean): Unsubscriber;
	subscribeEach(path: string, callback: (key: string) => void, whole?: (keys: string[]) => void): Unsubscriber;
}

/** Subscriptions made through the references of one `subscribeGroup` call. */
class SubscriptionGroup {
	private readonly unsubscribers = new Set<Unsubscriber>();
	private closed = false;

	track(subscribe: () => Unsubscriber): Unsubscriber {
		if (this.closed) return () => undefined;
		const unsubscribe = subscribe();
		const tracked = () => {
			this.unsubscribers.delete(tracked);
			unsubscribe();
		};
		this.unsubscribers.add(tracked);
		return tracked;
	}

	close(): void {
		this.closed = true;
		for (const unsubscribe of [...this.unsubscribers]) unsubscribe();
	}
}

/** A reference to `path`. References are cheap objects of closures; create as many as you like. */
export function createReference(runtime: ReferenceRuntime, path: string, group?: SubscriptionGroup): ChainReference {
	const track = (subscribe: () => Unsubscriber): Unsubscriber => (group === undefined ? subscribe() : group.track(subscribe));

	const reference: ChainReference = {
		get(key) {
			const segment = String(key);
			if (segment === '*' || segment.endsWith('/*')) throw new SocketDBError('INVALID_PATH', 'You cannot use * (wildcard) as a pathname.');
			// `db.get('')` is the root itself; anywhere else an empty key would be an empty segment.
			const child = path === '' ? segment : `${path}/${segment}`;
			assertPath(child);
			return createReference(runtime, child, group);
		},
		set(value, meta) {
			return awaitable(reference, runtime.write('set', path, value, meta));
		},
		delete() {
			return awaitable(reference, runtime.write('delete', path));
		},
		update(values, meta) {
			return runtime.update(path, values, meta);
		},
		transaction(update, options) {
			return runTransaction(runtime.transaction, path, update as (current: unknown) => unknown, options) as never;
		},
		on(callback) {
			return track(() => runtime.subscribeValue(path, callback as (data: unknown, meta?: Meta) => void, false));
		},
		once(callback) {
			return track(() => runtime.subscribeValue(path, callback as (data: unknown, meta?: Meta) => void, true));
		},
		onKeys(callback) {
			return track(() => runtime.subscribeEach(path, () => undefined, callback));
		},
		each(callback) {
			return track(() => runtime.subscribeEach(path, (key) => callback(createReference(runtime, joinPath(path, key), group), key as never)));
		},
		subscribeGroup(callback) {
			const inner = new SubscriptionGroup();
			const unsubscribeAll = track(() => () => inner.close());
			callback(createReference(runtime, path, inner));
			return unsubscribeAll;
		},
	};
	return reference;
}

const OUTCOME = Symbol('outcome');
type WithOutcome = WriteReference & { [OUTCOME]: WriteOutcome };

// Shared by every write reference (they read the outcome from `this`), so a write costs
// one small object instead of a copy of the reference and three new closures.
function then(this: WithOutcome, onFulfilled?: Parameters<WriteOutcome['then']>[0], onRejected?: Parameters<WriteOutcome['then']>[1]) {
	return this[OUTCOME].then(onFulfilled, onRejected);
}
function catchRejection(this: WithOutcome, onRejected?: Parameters<WriteOutcome['catch']>[0]) {
	return this[OUTCOME].catch(onRejected);
}
function finallyDo(this: WithOutcome, onFinally?: Parameters<WriteOutcome['finally']>[0]) {
	return this[OUTCOME].finally(onFinally);
}

/**
 * The reference, made awaitable for one write's outcome. Its properties are copied one by
 * one: an object spread here costs microseconds per write.
 */
function awaitable(reference: ChainReference, outcome: WriteOutcome): WriteReference {
	const write: WithOutcome = {
		get: reference.get,
		set: reference.set,
		delete: reference.delete,
		update: reference.update,
		transaction: reference.transaction,
		on: reference.on,
		once: reference.once,
		each: reference.each,
		onKeys: reference.onKeys,
		subscribeGroup: reference.subscribeGroup,
		then: then as WriteReference['then'],
		catch: catchRejection as WriteReference['catch'],
		finally: finallyDo as WriteReference['finally'],
		[OUTCOME]: outcome,
	};
	return write;
}
