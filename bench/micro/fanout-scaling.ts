// Micro-benchmark: the server's fan-out cost per write with 200 and with 10,000 subscriptions
// (one write reaches one subscriber either way): `tsx bench/micro/fanout-scaling.ts`
import { anchorAtPath, createStore, nodeify, parsePath, type Node } from '@socketdb/core';
import { performance } from 'node:perf_hooks';
import { FanOut, type Subscriber } from '../../server/src/fanout';

function measure(subscriptions: number, writes = 200_000): number {
	const fanout = new FanOut(0);
	const store = createStore();
	const subscriber: Subscriber = { pushUpdate: () => undefined, flush: () => undefined };
	for (let i = 0; i < subscriptions; i++) fanout.subscribeValue(subscriber, `users/${i}`);
	let seed = 7;
	const start = performance.now();
	for (let i = 0; i < writes; i++) {
		seed = (seed * 1103515245 + 12345) & 0x7fffffff;
		const diff = anchorAtPath(parsePath(`users/${seed % subscriptions}`), nodeify({ n: i }));
		const probe = fanout.probeKeys(diff, store);
		fanout.publishChange(store.put(diff as Node), probe, i + 1);
		if (i % 50 === 49) fanout.flush();
	}
	fanout.flush();
	fanout.stop();
	return ((performance.now() - start) * 1000) / writes;
}

measure(200, 50_000); // warm up
const small = measure(200);
const large = measure(10_000);
console.log(`per write: ${small.toFixed(2)} µs with 200 subscriptions, ${large.toFixed(2)} µs with 10,000 (${(large / small).toFixed(2)}x)`);
