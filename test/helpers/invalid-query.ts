import { expect } from 'vitest';
import { SocketDBError } from '@socketdb/core';

/** `run` throws a `SocketDBError` `INVALID_QUERY` (whose message matches `message`, if given) at once. */
export function expectInvalidQuery(run: () => unknown, message?: RegExp): void {
	let thrown: unknown;
	try {
		run();
	} catch (error) {
		thrown = error;
	}
	expect(thrown).toBeInstanceOf(SocketDBError);
	expect((thrown as SocketDBError).code).toBe('INVALID_QUERY');
	if (message !== undefined) expect((thrown as SocketDBError).message).toMatch(message);
}
