import { describe, expect, test } from 'vitest';
import { SerialQueue } from './serial-queue';

/** Lets every pending promise reaction run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred() {
	let resolve!: () => void;
	let reject!: (error: unknown) => void;
	const promise = new Promise<void>((yes, no) => {
		resolve = yes;
		reject = no;
	});
	return { promise, resolve, reject };
}

describe('SerialQueue', () => {
	test('runs a sync task immediately when idle', () => {
		const queue = new SerialQueue();
		const log: string[] = [];
		queue.run(() => {
			log.push('a');
		});
		expect(log).toEqual(['a']);
		queue.run(() => {
			log.push('b');
		});
		expect(log).toEqual(['a', 'b']);
		expect(queue.idle).toBe(true);
	});

	test('keeps order across sync and async tasks', async () => {
		const queue = new SerialQueue();
		const log: string[] = [];
		const first = deferred();
		const second = deferred();
		queue.run(() => {
			log.push('sync 1');
		});
		queue.run(async () => {
			log.push('async 2 start');
			await first.promise;
			log.push('async 2 end');
		});
		queue.run(() => {
			log.push('sync 3');
		});
		queue.run(async () => {
			log.push('async 4 start');
			await second.promise;
			log.push('async 4 end');
		});
		queue.run(() => {
			log.push('sync 5');
		});
		expect(log).toEqual(['sync 1', 'async 2 start']);
		expect(queue.idle).toBe(false);

		first.resolve();
		await settle();
		expect(log).toEqual(['sync 1', 'async 2 start', 'async 2 end', 'sync 3', 'async 4 start']);

		queue.run(() => {
			log.push('sync 6');
		});
		expect(log).toHaveLength(5);

		second.resolve();
		await settle();
		expect(log).toEqual(['sync 1', 'async 2 start', 'async 2 end', 'sync 3', 'async 4 start', 'async 4 end', 'sync 5', 'sync 6']);
		expect(queue.idle).toBe(true);
	});

	test('a task that throws does not stop the queue', () => {
		const queue = new SerialQueue();
		const log: string[] = [];
		queue.run(() => {
			throw new Error('sync failure');
		});
		queue.run(() => {
			log.push('after');
		});
		expect(log).toEqual(['after']);
		expect(queue.idle).toBe(true);
	});

	test('a task that rejects does not stop the queue', async () => {
		const queue = new SerialQueue();
		const log: string[] = [];
		const gate = deferred();
		queue.run(async () => {
			await gate.promise;
			log.push('rejecting');
			throw new Error('async failure');
		});
		queue.run(() => {
			log.push('after');
		});
		queue.run(async () => {
			log.push('async after');
		});
		expect(log).toEqual([]);
		gate.resolve();
		await settle();
		expect(log).toEqual(['rejecting', 'after', 'async after']);
		await settle();
		expect(queue.idle).toBe(true);
	});

	test('a task that throws while others wait does not stop the queue', async () => {
		const queue = new SerialQueue();
		const log: string[] = [];
		const gate = deferred();
		queue.run(() => gate.promise);
		queue.run(() => {
			throw new Error('sync failure while busy');
		});
		queue.run(() => Promise.reject(new Error('rejected while busy')));
		queue.run(() => {
			log.push('last');
		});
		gate.resolve();
		await settle();
		expect(log).toEqual(['last']);
		expect(queue.idle).toBe(true);
	});

	test('tasks queued behind a rejection still run in order', async () => {
		const queue = new SerialQueue();
		const log: number[] = [];
		const gate = deferred();
		queue.run(() => gate.promise);
		for (let i = 0; i < 5; i++) queue.run(() => {
			log.push(i);
		});
		gate.reject(new Error('first task failed'));
		await settle();
		expect(log).toEqual([0, 1, 2, 3, 4]);
	});

	test('no two async tasks ever run at once', async () => {
		const queue = new SerialQueue();
		let running = 0;
		let most = 0;
		const finished: number[] = [];
		for (let i = 0; i < 20; i++) {
			queue.run(async () => {
				running++;
				most = Math.max(most, running);
				await Promise.resolve();
				await settle();
				running--;
				finished.push(i);
			});
		}
		while (!queue.idle) await settle();
		expect(most).toBe(1);
		expect(finished).toEqual(Array.from({ length: 20 }, (_, i) => i));
	});

	test('many sync tasks do not grow the stack', () => {
		const queue = new SerialQueue();
		let count = 0;
		for (let i = 0; i < 100_000; i++) queue.run(() => {
			count++;
		});
		expect(count).toBe(100_000);
	});

	test('many sync tasks queued behind an async one run without a stack overflow', async () => {
		const queue = new SerialQueue();
		let count = 0;
		const gate = deferred();
		queue.run(() => gate.promise);
		for (let i = 0; i < 20_000; i++) queue.run(() => {
			count++;
		});
		gate.resolve();
		await settle();
		expect(count).toBe(20_000);
	});

	test('a task queued by a running task runs after it', () => {
		const queue = new SerialQueue();
		const log: string[] = [];
		queue.run(() => {
			log.push('outer start');
			queue.run(() => {
				log.push('inner');
			});
			log.push('outer end');
		});
		expect(log).toEqual(['outer start', 'outer end', 'inner']);
	});

	test('a task queued by a running task runs after the tasks already waiting', async () => {
		const queue = new SerialQueue();
		const log: string[] = [];
		const gate = deferred();
		queue.run(() => gate.promise);
		queue.run(() => {
			log.push('A');
			queue.run(() => {
				log.push('C (queued by A)');
			});
		});
		queue.run(() => {
			log.push('B');
		});
		gate.resolve();
		await settle();
		expect(log).toEqual(['A', 'B', 'C (queued by A)']);
	});

	test('an async task queued by a running sync task does not overlap the next task', async () => {
		const queue = new SerialQueue();
		const gate = deferred();
		const inner = deferred();
		let innerRunning = false;
		let overlapped = false;
		queue.run(() => gate.promise);
		queue.run(() => {
			queue.run(async () => {
				innerRunning = true;
				await inner.promise;
				innerRunning = false;
			});
		});
		queue.run(() => {
			if (innerRunning) overlapped = true;
		});
		gate.resolve();
		await settle();
		inner.resolve();
		await settle();
		expect(overlapped).toBe(false);
		expect(queue.idle).toBe(true);
	});
});
