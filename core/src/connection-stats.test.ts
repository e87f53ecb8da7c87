import { expect, test } from 'vitest';
import { addConnectionStats } from './connection-stats';
import { createRecord } from './json';
import type { ConnectionStats } from './protocol';

const empty = (): ConnectionStats => ({ total: 0, versions: createRecord<number>(), routes: createRecord<number>() });

test('adds totals, versions, routes and queries key by key', () => {
	const sum = empty();
	addConnectionStats(sum, { total: 2, versions: { '1.0': 2 }, routes: { '/a': 1, '/b': 1 }, queries: { 'q: orderByKey()': 2 } });
	addConnectionStats(sum, { total: 3, versions: { '1.0': 1, '2.0': 2 }, routes: { '/a': 3 }, queries: { 'q: orderByKey()': 1, 'r: orderByValue()': 1 } });
	expect(sum).toEqual({ total: 5, versions: { '1.0': 3, '2.0': 2 }, routes: { '/a': 4, '/b': 1 }, queries: { 'q: orderByKey()': 3, 'r: orderByValue()': 1 } });
});

test('stats without live queries keep their shape, and counted keys such as __proto__ stay plain keys', () => {
	const sum = empty();
	addConnectionStats(sum, { total: 1, versions: JSON.parse('{"__proto__": 1}') as Record<string, number>, routes: {}, queries: {} });
	expect('queries' in sum).toBe(false);
	addConnectionStats(sum, { total: 1, versions: {}, routes: {}, queries: JSON.parse('{"__proto__": 2}') as Record<string, number> });
	expect(Object.keys(sum.versions)).toEqual(['__proto__']);
	expect(sum.queries!['__proto__']).toBe(2);
	expect(Object.getPrototypeOf(sum.queries)).toBeNull();
});
