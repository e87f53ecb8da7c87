import { expect, test } from 'vitest';
import { ConnectionCounts } from './connection-stats';

test("the counts add the other processes' to this one's, and the cluster's queries are cut to the 50 most held", () => {
	const counts = new ConnectionCounts(1_000);
	for (let index = 0; index < 30; index++) counts.countQuery(`local ${index}`, 1);
	counts.countQuery('local 0', 1);
	const others = Object.fromEntries(Array.from({ length: 30 }, (_, index) => [`other ${index}`, index < 5 ? 3 : 1]));
	counts.setOthers({ total: 4, versions: { '1.0': 4 }, routes: {}, queries: { 'local 0': 1, ...others } });
	const { total, versions, queries } = counts.snapshot();
	expect([total, versions]).toEqual([4, { '1.0': 4 }]);
	expect(Object.keys(queries!)).toHaveLength(50);
	expect(queries!['local 0']).toBe(3);
	expect(Object.entries(queries!).slice(0, 6)).toEqual([['local 0', 3], ...Array.from({ length: 5 }, (_, index) => [`other ${index}`, 3])]);
	counts.stop();
});
