import { afterEach, beforeEach } from 'vitest';

/** Collects the process's unhandled rejections during each test of the file that calls it. */
export function trackUnhandledRejections(): { readonly reasons: unknown[] } {
	const tracked = { reasons: [] as unknown[] };
	const onUnhandled = (reason: unknown) => tracked.reasons.push(reason);
	beforeEach(() => {
		tracked.reasons = [];
		process.on('unhandledRejection', onUnhandled);
	});
	afterEach(() => {
		process.off('unhandledRejection', onUnhandled);
	});
	return tracked;
}
