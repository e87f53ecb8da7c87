import { describe, expect, test } from 'vitest';
import { compareEntries, compareKeys, compareSortValues, integerKey, OBJECT_SORT, sortValueOf, type SortEntry, type SortValue } from './query-order';
import { describeQuery, parseQuery, queryEnd, queryEqual, queryLimit, queryOrderedBy, queryStart, type QuerySpec } from './query-spec';
import { afterStart, beforeEnd, rangeOf, selectWindow, sortValueFor } from './query-window';
import { seededRandom } from '../../test/helpers/random';
import { expectInvalidQuery as expectInvalid } from '../../test/helpers/invalid-query';


const byChild = (child: string) => queryOrderedBy(undefined, { child });
const byKey = () => queryOrderedBy(undefined, 'key');
const byValue = () => queryOrderedBy(undefined, 'value');

/** The keys a query holds, computed the slow way: sort everything, filter each entry, cut to the limit. */
function naiveWindow(children: Record<string, unknown>, spec: QuerySpec): string[] {
	const entries: SortEntry[] = Object.keys(children).map((key) => ({ key, sort: sortValueFor(spec.orderBy, children[key]) }));
	const keyOrder = spec.orderBy === 'key';
	entries.sort((a, b) => compareEntries(keyOrder, a, b));
	const { start, end } = rangeOf(spec);
	let inside = entries.filter((entry) => afterStart(keyOrder, start, entry) && beforeEnd(keyOrder, end, entry));
	if (spec.limitToFirst !== undefined) inside = inside.slice(0, spec.limitToFirst);
	if (spec.limitToLast !== undefined) inside = inside.slice(Math.max(0, inside.length - spec.limitToLast));
	return inside.map((entry) => entry.key);
}

function windowKeys(children: Record<string, unknown>, spec: QuerySpec): string[] {
	const entries: SortEntry[] = Object.keys(children).map((key) => ({ key, sort: sortValueFor(spec.orderBy, children[key]) }));
	const keyOrder = spec.orderBy === 'key';
	entries.sort((a, b) => compareEntries(keyOrder, a, b));
	const { from, to } = selectWindow(entries, spec);
	return entries.slice(from, to).map((entry) => entry.key);
}

describe('order of sort values', () => {
	test('null, false, true, numbers, strings, objects', () => {
		const values: SortValue[] = ['b', OBJECT_SORT, 10, true, 'a', -1.5, null, false, 'B', 2, '10', ''];
		const sorted = [...values].sort(compareSortValues);
		expect(sorted).toEqual([null, false, true, -1.5, 2, 10, '', '10', 'B', 'a', 'b', OBJECT_SORT]);
	});

	test('strings compare by UTF-16 code units, not by locale', () => {
		expect(['é', 'z', 'Z', '😀', '\uffff'].sort(compareSortValues)).toEqual(['Z', 'z', 'é', '😀', '\uffff']);
	});

	test('absent values sort as null; objects and arrays as objects', () => {
		expect(sortValueOf(undefined)).toBe(null);
		expect(sortValueOf({ a: 1 })).toBe(OBJECT_SORT);
		expect(sortValueOf([1])).toBe(OBJECT_SORT);
		expect(compareSortValues(OBJECT_SORT, OBJECT_SORT)).toBe(0);
	});

	test('a child path reads inside the value; anything missing on the way is null', () => {
		const order = { child: 'profile/age' };
		expect(sortValueFor(order, { profile: { age: 36 } })).toBe(36);
		expect(sortValueFor(order, { profile: 'x' })).toBe(null);
		expect(sortValueFor(order, 5)).toBe(null);
		expect(sortValueFor(order, { profile: { age: { years: 36 } } })).toBe(OBJECT_SORT);
		expect(sortValueFor('value', 'v')).toBe('v');
	});
});

describe('order of keys', () => {
	test('32-bit integer keys first, numerically, then strings', () => {
		const keys = ['b', '10', '-3', 'a', '2', '2147483647', '2147483648', '-2147483648', '-2147483649', '007', '0', 'A', '1.5'];
		expect([...keys].sort(compareKeys)).toEqual(['-2147483648', '-3', '0', '2', '10', '2147483647', '-2147483649', '007', '1.5', '2147483648', 'A', 'a', 'b']);
	});

	test('only the usual spelling of an integer counts as one', () => {
		expect(integerKey('42')).toBe(42);
		expect(integerKey('-0')).toBeUndefined();
		expect(integerKey('01')).toBeUndefined();
		expect(integerKey('+1')).toBeUndefined();
		expect(integerKey(' 1')).toBeUndefined();
		expect(integerKey('99999999999')).toBeUndefined();
	});

	test('ties of sort value go by key order', () => {
		const entries: SortEntry[] = [
			{ key: 'b', sort: 1 },
			{ key: '10', sort: 1 },
			{ key: 'a', sort: 0 },
			{ key: '9', sort: 1 },
		];
		expect(entries.sort((x, y) => compareEntries(false, x, y)).map((entry) => entry.key)).toEqual(['a', '9', '10', 'b']);
		expect(entries.sort((x, y) => compareEntries(true, x, y)).map((entry) => entry.key)).toEqual(['9', '10', 'a', 'b']);
	});
});

const scores = {
	ada: { score: 3 },
	bob: { score: 1 },
	cy: { score: 3 },
	dee: { score: 'high' },
	eve: {},
	fay: { score: true },
	gus: { score: 7 },
	hal: { score: { nested: 1 } },
	ivy: { score: false },
};

describe('windows by child', () => {
	test('the whole order, mixed types', () => {
		expect(windowKeys(scores, byChild('score'))).toEqual(['eve', 'ivy', 'fay', 'bob', 'ada', 'cy', 'gus', 'dee', 'hal']);
	});

	test('startAt and endAt, with and without a key', () => {
		const base = byChild('score');
		expect(windowKeys(scores, queryStart(base, 3))).toEqual(['ada', 'cy', 'gus', 'dee', 'hal']);
		expect(windowKeys(scores, queryStart(base, 3, 'b'))).toEqual(['cy', 'gus', 'dee', 'hal']);
		expect(windowKeys(scores, queryEnd(base, 3))).toEqual(['eve', 'ivy', 'fay', 'bob', 'ada', 'cy']);
		expect(windowKeys(scores, queryEnd(base, 3, 'b'))).toEqual(['eve', 'ivy', 'fay', 'bob', 'ada']);
		expect(windowKeys(scores, queryEnd(queryStart(base, 1), 7))).toEqual(['bob', 'ada', 'cy', 'gus']);
	});

	test('startAfter and endBefore, with and without a key', () => {
		const base = byChild('score');
		expect(windowKeys(scores, queryStart(base, 3, undefined, true))).toEqual(['gus', 'dee', 'hal']);
		expect(windowKeys(scores, queryStart(base, 3, 'ada', true))).toEqual(['cy', 'gus', 'dee', 'hal']);
		expect(windowKeys(scores, queryEnd(base, 3, undefined, true))).toEqual(['eve', 'ivy', 'fay', 'bob']);
		expect(windowKeys(scores, queryEnd(base, 3, 'cy', true))).toEqual(['eve', 'ivy', 'fay', 'bob', 'ada']);
	});

	test('equalTo, with and without a key, and null for absent values', () => {
		const base = byChild('score');
		expect(windowKeys(scores, queryEqual(base, 3))).toEqual(['ada', 'cy']);
		expect(windowKeys(scores, queryEqual(base, 3, 'cy'))).toEqual(['cy']);
		expect(windowKeys(scores, queryEqual(base, 3, 'zed'))).toEqual([]);
		expect(windowKeys(scores, queryEqual(base, null))).toEqual(['eve']);
		expect(windowKeys(scores, queryEqual(base, false))).toEqual(['ivy']);
		expect(windowKeys(scores, queryEqual(base, '3'))).toEqual([]);
	});

	test('limits from either end, inside the range', () => {
		const base = byChild('score');
		expect(windowKeys(scores, queryLimit(base, 'first', 2))).toEqual(['eve', 'ivy']);
		expect(windowKeys(scores, queryLimit(base, 'last', 2))).toEqual(['dee', 'hal']);
		expect(windowKeys(scores, queryLimit(queryStart(base, 1), 'first', 3))).toEqual(['bob', 'ada', 'cy']);
		expect(windowKeys(scores, queryLimit(queryEnd(base, 3), 'last', 3))).toEqual(['bob', 'ada', 'cy']);
		expect(windowKeys(scores, queryLimit(base, 'first', 100))).toHaveLength(9);
	});
});

describe('windows by key and by value', () => {
	const numbered = { '1': 'x', '2': 'y', '10': 'x', a: 'z', b: null, '-5': 3 };

	test('by key: integer keys numerically, bounds compare keys', () => {
		expect(windowKeys(numbered, byKey())).toEqual(['-5', '1', '2', '10', 'a', 'b']);
		expect(windowKeys(numbered, queryStart(byKey(), '2'))).toEqual(['2', '10', 'a', 'b']);
		expect(windowKeys(numbered, queryStart(byKey(), '2', undefined, true))).toEqual(['10', 'a', 'b']);
		expect(windowKeys(numbered, queryEnd(byKey(), 'a'))).toEqual(['-5', '1', '2', '10', 'a']);
		expect(windowKeys(numbered, queryEnd(byKey(), 'a', undefined, true))).toEqual(['-5', '1', '2', '10']);
		expect(windowKeys(numbered, queryEqual(byKey(), '10'))).toEqual(['10']);
		expect(windowKeys(numbered, queryStart(byKey(), '3'))).toEqual(['10', 'a', 'b']);
		expect(windowKeys(numbered, queryLimit(queryStart(byKey(), '0'), 'last', 2))).toEqual(['a', 'b']);
	});

	test('by value: the child itself is the sort value', () => {
		expect(windowKeys(numbered, byValue())).toEqual(['b', '-5', '1', '10', '2', 'a']);
		expect(windowKeys(numbered, queryEqual(byValue(), 'x'))).toEqual(['1', '10']);
		expect(windowKeys(numbered, queryStart(byValue(), 'x', '2'))).toEqual(['10', '2', 'a']);
	});
});

describe('invalid queries throw INVALID_QUERY', () => {
	test('two orders', () => {
		expectInvalid(() => queryOrderedBy(byKey(), 'value'), /one order/);
	});

	test('both limits, or one twice, or not a positive integer', () => {
		expectInvalid(() => queryLimit(queryLimit(byKey(), 'first', 1), 'last', 1));
		expectInvalid(() => queryLimit(queryLimit(byKey(), 'first', 1), 'first', 2));
		for (const count of [0, -1, 1.5, Number.NaN, Infinity, '3' as unknown as number]) expectInvalid(() => queryLimit(byKey(), 'first', count));
	});

	test('ordered by key, bounds are strings and take no key', () => {
		expectInvalid(() => queryStart(byKey(), 1 as never), /string/);
		expectInvalid(() => queryEnd(byKey(), null as never), /string/);
		expectInvalid(() => queryEqual(byKey(), true as never), /string/);
		expectInvalid(() => queryStart(byKey(), 'a', 'b'), /no key argument/);
	});

	test('a second start or end, and equalTo with either', () => {
		expectInvalid(() => queryStart(queryStart(byValue(), 1), 2, undefined, true));
		expectInvalid(() => queryEnd(queryEnd(byValue(), 1), 2));
		expectInvalid(() => queryEqual(queryStart(byValue(), 1), 2));
		expectInvalid(() => queryStart(queryEqual(byValue(), 1), 2));
		expectInvalid(() => queryEnd(queryEqual(byValue(), 1), 2));
	});

	test('bounds that are not null, a boolean, a finite number or a string', () => {
		expectInvalid(() => queryStart(byValue(), {} as never));
		expectInvalid(() => queryStart(byValue(), [1] as never));
		expectInvalid(() => queryStart(byValue(), undefined as never));
		expectInvalid(() => queryStart(byValue(), Number.NaN));
		expectInvalid(() => queryStart(byValue(), '\ud800'));
		expectInvalid(() => queryStart(byValue(), 1, 7 as never));
	});

	test('a child path that is not a path', () => {
		for (const child of ['', 'a//b', '/a', 'a/', '__proto__', 5 as never]) expectInvalid(() => byChild(child));
	});

	test('chaining never changes the query it starts from', () => {
		const base = byChild('score');
		const ranged = queryStart(base, 1);
		queryLimit(ranged, 'first', 2);
		expect(base).toEqual({ orderBy: { child: 'score' } });
		expect(ranged).toEqual({ orderBy: { child: 'score' }, startAt: { value: 1 } });
	});
});

describe('parseQuery', () => {
	test('a query built by the steps comes back equal', () => {
		const specs: QuerySpec[] = [
			byKey(),
			queryLimit(queryStart(byChild('a/b'), 'x', 'k', true), 'last', 5),
			queryEqual(byValue(), null, 'k'),
			queryEnd(queryStart(byKey(), 'a'), 'z', undefined, true),
		];
		for (const spec of specs) expect(parseQuery(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
	});

	test('anything else is refused', () => {
		const bad: unknown[] = [
			null,
			'key',
			[],
			{},
			{ orderBy: 'priority' },
			{ orderBy: { child: '' } },
			{ orderBy: 'key', extra: 1 },
			{ orderBy: 'key', startAt: 'a' },
			{ orderBy: 'key', startAt: { value: 1 } },
			{ orderBy: 'value', startAt: { value: 1, exclusive: 'yes' } },
			{ orderBy: 'value', equalTo: { value: 1, exclusive: true } },
			{ orderBy: 'value', equalTo: { value: 1 }, startAt: { value: 1 } },
			{ orderBy: 'value', limitToFirst: 1, limitToLast: 1 },
			{ orderBy: 'value', limitToFirst: 0 },
		];
		for (const raw of bad) expectInvalid(() => parseQuery(raw));
	});
});

describe('selectWindow agrees with filtering everything, on random data', () => {
	const values: unknown[] = [null, false, true, 0, 1, 2, -1, 2.5, '', 'a', 'b', 'ab', { x: 1 }, [1], undefined];
	const keys = ['0', '1', '2', '10', '-1', 'a', 'b', 'ab', 'B', '01'];
	const bounds: (string | number | boolean | null)[] = [null, false, true, 0, 1, 2, 'a', 'b', '', '1', '10'];

	test.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i', (seed) => {
		const random = seededRandom(seed);
		for (let round = 0; round < 300; round++) {
			const children: Record<string, unknown> = {};
			for (const key of keys) if (random.chance(0.7)) children[key] = { score: random.pick(values), own: random.pick(values) };
			const order = random.pick(['key', 'value', 'child'] as const);
			let spec = order === 'key' ? byKey() : order === 'value' ? byValue() : byChild('score');
			const bound = () => (order === 'key' ? random.pick(keys) : random.pick(bounds));
			const key = () => (order !== 'key' && random.chance(0.5) ? random.pick(keys) : undefined);
			if (random.chance(0.2)) spec = queryEqual(spec, bound(), key());
			else {
				if (random.chance(0.5)) spec = queryStart(spec, bound(), key(), random.chance(0.5));
				if (random.chance(0.5)) spec = queryEnd(spec, bound(), key(), random.chance(0.5));
			}
			if (random.chance(0.5)) spec = queryLimit(spec, random.pick(['first', 'last'] as const), 1 + random.int(4));
			const data = order === 'value' ? Object.fromEntries(Object.entries(children).map(([k, v]) => [k, (v as { own: unknown }).own])) : children;
			expect(windowKeys(data, spec), `seed ${seed} round ${round} ${JSON.stringify(spec)}`).toEqual(naiveWindow(data, spec));
		}
	});
});

describe('describeQuery', () => {
	test('reads as the code that makes the query', () => {
		expect(describeQuery('scores', { orderBy: { child: 'points' }, limitToLast: 3 })).toBe("scores: orderByChild('points').limitToLast(3)");
		expect(describeQuery('', { orderBy: 'key', startAt: { value: 'b', exclusive: true }, endAt: { value: "it's" }, limitToFirst: 5 })).toBe("(root): orderByKey().startAfter('b').endAt('it\\'s').limitToFirst(5)");
		expect(describeQuery('a/b', { orderBy: 'value', equalTo: { value: null, key: 'k' } })).toBe("a/b: orderByValue().equalTo(null, 'k')");
		expect(describeQuery('n', { orderBy: 'value', startAt: { value: 1, key: 'x' }, endAt: { value: true, exclusive: true } })).toBe("n: orderByValue().startAt(1, 'x').endBefore(true)");
	});
});
