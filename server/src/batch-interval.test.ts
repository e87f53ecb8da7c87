import { expect, test } from 'vitest';
import { batchDelay } from './batch-interval';

test('a batch waits until one interval after the previous flush began, or one interval after a quiet time', () => {
	// The previous flush began at 100 and the change is read at 130: due at 150.
	expect(batchDelay(50, 100, 130)).toBe(20);
	// Read just as that interval ends, or later: a whole interval from now.
	expect(batchDelay(50, 100, 150)).toBe(50);
	expect(batchDelay(50, 100, 400)).toBe(50);
	// Nothing flushed yet.
	expect(batchDelay(50, -Infinity, 10)).toBe(50);
});
