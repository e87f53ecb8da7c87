import { cloneJson, SocketDBError } from '@socketdb/core';

/** What `ref.transaction` resolves with. */
export type TransactionResult<Value> = { committed: boolean; value: Value | null };

export type TransactionOptions = {
	/** How often `update` runs again after the server answered that the value changed. @default 25 */
	maxRetries?: number;
};

/** What a transaction needs of the client. */
export interface TransactionRuntime {
	/** The value the client holds at `path` (a subscription covers it), or `undefined` when it holds none. */
	cachedValue(path: string): unknown;
	/** One attempt: resolves with the value committed, rejects with `CONFLICT` (`details.value`: the value now). */
	transactionWrite(path: string, expected: unknown, next: unknown): Promise<unknown>;
}

/**
 * Compare-and-set with retries: `update` runs on the value the client holds (a copy it may
 * change; `null` when it holds none), the server commits its result only if the path still holds
 * that value, and otherwise answers with the value it holds, on which `update` runs again.
 */
export async function runTransaction<Value>(runtime: TransactionRuntime, path: string, update: (current: Value | null) => unknown, options: TransactionOptions = {}): Promise<TransactionResult<Value>> {
	const maxRetries = options.maxRetries ?? 25;
	if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new SocketDBError('INVALID_VALUE', 'maxRetries is a whole number of 0 or more');
	let current = (runtime.cachedValue(path) ?? null) as Value | null;
	for (let attempt = 0; ; attempt++) {
		// A copy the function may change as it likes; the value it saw is what the server compares.
		const next = update(cloneJson(current));
		if (next === undefined) return { committed: false, value: current };
		try {
			const value = await runtime.transactionWrite(path, current, next);
			return { committed: true, value: (value ?? null) as Value | null };
		} catch (error) {
			if (!(error instanceof SocketDBError) || error.code !== 'CONFLICT') throw error;
			const now = ((error.details as { value?: unknown } | undefined)?.value ?? null) as Value | null;
			if (attempt >= maxRetries) throw new SocketDBError('CONFLICT', `"${path}" kept changing: the transaction gave up after ${maxRetries + 1} attempts`, { value: now });
			current = now;
		}
	}
}
