import { describe, expect, test } from 'vitest';
import { compileRules } from './rule-tree';
import { testRules } from './testing';

describe('testRules', () => {
	const rules = {
		posts: {
			'.read': true,
			$post: {
				'.write': ({ auth, data }: { auth: Record<string, unknown>; data: unknown }) => data === null || (data as { author?: unknown }).author === auth['uid'],
				'.validate': ({ newData }: { newData: unknown }) => typeof (newData as { title?: unknown }).title === 'string',
			},
		},
	};

	test('answers at once for synchronous rules, from the data it was given', () => {
		const ada = testRules(rules, { auth: { uid: 'ada' }, data: { posts: { p1: { author: 'ada', title: 'Hi' }, p2: { author: 'bob', title: 'Yo' } } } });
		expect(ada.canRead('posts/p2')).toBe(true);
		expect(ada.canRead('')).toBe(false);
		expect(ada.canWrite('posts/p1/title', 'Hello')).toBe(true);
		expect(ada.canWrite('posts/p2/title', 'Hello')).toBe(false);
		expect(ada.canWrite('posts/p3', { author: 'ada', title: 'New' })).toBe(true);
		expect(ada.canWrite('posts/p3', { author: 'ada' })).toBe(false);
		expect(ada.canWrite('posts/p1', null)).toBe(true);
		// What is left of p1 would have no title.
		expect(ada.canWrite('posts/p1/title', null)).toBe(false);
	});

	test('answers with a promise when a rule returns one; a rule that throws or rejects denies', async () => {
		const tester = testRules({ a: { '.write': async ({ auth }) => auth['admin'] === true }, b: { '.read': () => Promise.reject(new Error('down')) }, c: { '.read': () => { throw new Error('bug'); } } }, { auth: { admin: true } });
		const answer = tester.canWrite('a/x', 1);
		expect(answer).toBeInstanceOf(Promise);
		expect(await answer).toBe(true);
		expect(await tester.canRead('b')).toBe(false);
		expect(tester.canRead('c')).toBe(false);
	});

	test('a $name key matches only keys not named beside it', () => {
		const widget = testRules({ '.write': true, widget: { title: { '.validate': true }, $other: { '.validate': false } } });
		expect(widget.canWrite('widget/title', 'x')).toBe(true);
		expect(widget.canWrite('widget/color', 'red')).toBe(false);
		expect(widget.canWrite('widget', { title: 'x', color: 'red' })).toBe(false);
	});
});

describe('compileRules', () => {
	test.each([
		['a key that is no rule', { '.writ': true }, '".writ" at "" is no rule'],
		['a rule that is neither boolean nor function', { a: { '.read': 'auth != null' } }, '.read at "a" must be a boolean or a function'],
		['two $ keys at one level', { a: { $x: {}, $y: {} } }, '"a" has two $ keys'],
		['a level that is no object', { a: 1 }, 'rules at "a" must be an object'],
	])('refuses %s', (_, rules, message) => {
		expect(() => compileRules(rules as never)).toThrow(message);
	});
});
