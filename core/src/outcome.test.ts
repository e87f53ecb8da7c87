import { describe, expect, test } from 'vitest';
import { WriteOutcome } from './outcome';
import { trackUnhandledRejections } from '../../test/helpers/unhandled';

/** Lets pending promise reactions and rejection tracking run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const unhandled = trackUnhandledRejections();

describe('awaiting', () => {
	test('resolves once resolved', async () => {
		const outcome = new WriteOutcome();
		let done = false;
		const waiting = (async () => {
			await outcome;
			done = true;
		})();
		await settle();
		expect(done).toBe(false);
		outcome.resolve();
		await waiting;
		expect(done).toBe(true);
	});

	test('rejects with the error once rejected', async () => {
		const outcome = new WriteOutcome();
		const error = new Error('vetoed');
		const waiting = expect(outcome).rejects.toBe(error);
		outcome.reject(error);
		await waiting;
	});

	test('resolves when awaited after it was resolved', async () => {
		const outcome = new WriteOutcome();
		outcome.resolve();
		await expect(outcome.toPromise()).resolves.toBeUndefined();
		await outcome;
	});

	test('rejects when awaited after it was rejected', async () => {
		const outcome = new WriteOutcome();
		const error = new Error('late');
		outcome.reject(error);
		await expect(outcome.toPromise()).rejects.toBe(error);
		await settle();
		expect(unhandled.reasons).toEqual([]);
	});

	test('settles only once', async () => {
		const outcome = new WriteOutcome();
		outcome.resolve();
		outcome.reject(new Error('too late'));
		await expect(outcome.toPromise()).resolves.toBeUndefined();

		const rejected = new WriteOutcome();
		const first = new Error('first');
		const waiting = expect(rejected).rejects.toBe(first);
		rejected.reject(first);
		rejected.reject(new Error('second'));
		rejected.resolve();
		await waiting;
	});

	test('settled and observed', () => {
		const outcome = new WriteOutcome();
		expect(outcome.settled).toBe(false);
		expect(outcome.observed).toBe(false);
		void outcome.then();
		expect(outcome.observed).toBe(true);
		outcome.resolve();
		expect(outcome.settled).toBe(true);
	});
});

describe('reject()', () => {
	test('returns false when nobody observed the outcome, and creates no unhandled rejection', async () => {
		const outcome = new WriteOutcome();
		expect(outcome.reject(new Error('nobody listens'))).toBe(false);
		expect(outcome.observed).toBe(false);
		await settle();
		await settle();
		expect(unhandled.reasons).toEqual([]);
	});

	test('returns true when someone awaited the outcome', async () => {
		const outcome = new WriteOutcome();
		const error = new Error('listened');
		const waiting = (async () => {
			try {
				await outcome;
				return 'resolved';
			} catch (caught) {
				return caught;
			}
		})();
		await settle();
		expect(outcome.reject(error)).toBe(true);
		expect(await waiting).toBe(error);
		await settle();
		expect(unhandled.reasons).toEqual([]);
	});

	test('returns true when someone attached catch', async () => {
		const outcome = new WriteOutcome();
		const caught: unknown[] = [];
		void outcome.catch((error: unknown) => caught.push(error));
		expect(outcome.reject('x')).toBe(true);
		await settle();
		expect(caught).toEqual(['x']);
	});
});

describe('then, catch and finally', () => {
	test('then passes on what its callbacks return', async () => {
		const resolved = new WriteOutcome();
		resolved.resolve();
		expect(await resolved.then(() => 5)).toBe(5);

		const rejected = new WriteOutcome();
		rejected.reject(new Error('x'));
		expect(await rejected.then(() => 'ok', (error: unknown) => `handled ${(error as Error).message}`)).toBe('handled x');
	});

	test('catch handles a rejection and passes a resolution through', async () => {
		const rejected = new WriteOutcome();
		const pending = rejected.catch((error: unknown) => `caught ${String(error)}`);
		rejected.reject('boom');
		expect(await pending).toBe('caught boom');

		const resolved = new WriteOutcome();
		const through = resolved.catch(() => 'never');
		resolved.resolve();
		expect(await through).toBeUndefined();
	});

	test('finally runs on resolution and on rejection, and keeps the outcome', async () => {
		const calls: string[] = [];
		const resolved = new WriteOutcome();
		const a = resolved.finally(() => calls.push('resolved'));
		resolved.resolve();
		await expect(a).resolves.toBeUndefined();

		const rejected = new WriteOutcome();
		const error = new Error('kept');
		const b = rejected.finally(() => calls.push('rejected'));
		rejected.reject(error);
		await expect(b).rejects.toBe(error);
		expect(calls).toEqual(['resolved', 'rejected']);
	});

	test('every observer gets the same result', async () => {
		const outcome = new WriteOutcome();
		const results = Promise.allSettled([outcome.toPromise(), outcome.then(), outcome.catch(() => 'c')]);
		outcome.reject('same');
		expect((await results).map((result) => (result.status === 'fulfilled' ? result.value : result.reason))).toEqual(['same', 'same', 'c']);
	});

	test('works with Promise.all and Promise.race', async () => {
		const a = new WriteOutcome();
		const b = new WriteOutcome();
		const all = Promise.all([a, b]);
		a.resolve();
		b.resolve();
		expect(await all).toEqual([undefined, undefined]);
	});
});
