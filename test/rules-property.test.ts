import { describe, expect, test } from 'vitest';
import { isObject } from '@socketdb/core';
import type { Rule, RuleContext, Rules } from '@socketdb/plugin-rules';
import { testRules } from '@socketdb/plugin-rules/testing';
import { seededRandom, type Random } from './helpers/random';

// Random rule trees and random writes: the plugin's decision (through its testing helper, which
// decides with the same code) against a reference evaluator written here the plain way: list every
// path a write touches, find the rules for each by matching segments, and evaluate them one by one.

const KEYS = ['a', 'b', 'c'];
type Plain = Record<string, unknown>;

/** The rule functions the trees draw from: they read params, auth, data and newData. */
const WRITE_FUNCTIONS: [string, Rule][] = [
	['params hold "a"', ({ params }) => Object.values(params).includes('a')],
	['creates only', ({ data }) => data === null],
	['auth is admin', ({ auth }) => auth['role'] === 'admin'],
];
const VALIDATE_FUNCTIONS: [string, Rule][] = [
	['a number', ({ newData }) => typeof newData === 'number'],
	['an object', ({ newData }) => isObject(newData)],
	['not "bad"', ({ newData }) => newData !== 'bad'],
];

function randomRule(random: Random, functions: [string, Rule][]): Rule {
	const roll = random.next();
	return roll < 0.3 ? true : roll < 0.55 ? false : random.pick(functions)[1];
}

function randomRules(random: Random, depth: number): Rules {
	const rules: Rules = {};
	if (random.chance(0.3)) rules['.read'] = randomRule(random, WRITE_FUNCTIONS);
	if (random.chance(0.35)) rules['.write'] = randomRule(random, WRITE_FUNCTIONS);
	if (random.chance(0.3)) rules['.validate'] = randomRule(random, VALIDATE_FUNCTIONS);
	if (depth < 3) {
		for (const key of KEYS) if (random.chance(0.35)) rules[key] = randomRules(random, depth + 1);
		if (random.chance(0.4)) rules[`$v${depth}`] = randomRules(random, depth + 1);
	}
	return rules;
}

function randomValue(random: Random, depth: number): unknown {
	const roll = random.next();
	if (depth >= 3 || roll < 0.45) return random.pick([1, 2, 'x', 'bad', true]);
	const value: Plain = {};
	for (const key of KEYS) if (random.chance(0.5)) value[key] = randomValue(random, depth + 1);
	return Object.keys(value).length === 0 ? 7 : value;
}

const randomPath = (random: Random) => Array.from({ length: random.int(4) }, () => random.pick(KEYS)).join('/');
const segmentsOf = (path: string) => (path === '' ? [] : path.split('/'));

/** The rule node for each prefix of `segments` (index = depth), with the params bound so far; undefined past the rules. */
function rulesAlong(rules: Rules, segments: string[]): ({ node: Rules; params: Record<string, string> } | undefined)[] {
	const along: ({ node: Rules; params: Record<string, string> } | undefined)[] = [{ node: rules, params: {} }];
	for (const segment of segments) {
		const previous = along.at(-1);
		if (previous === undefined) {
			along.push(undefined);
			continue;
		}
		const named = previous.node[segment];
		if (named !== undefined && typeof named === 'object') {
			along.push({ node: named, params: previous.params });
			continue;
		}
		const wildcard = Object.keys(previous.node).find((key) => key.startsWith('$'));
		along.push(wildcard === undefined ? undefined : { node: previous.node[wildcard] as Rules, params: { ...previous.params, [wildcard.slice(1)]: segment } });
	}
	return along;
}

function valueAt(tree: unknown, segments: string[]): unknown {
	let value = tree;
	for (const segment of segments) {
		if (!isObject(value) || !(segment in value)) return null;
		value = value[segment];
	}
	return value ?? null;
}

/** SocketDB's merge of `value` at `segments`: objects key by key, leaves replace, emptied objects go. */
function merged(tree: unknown, segments: string[], value: unknown): unknown {
	if (segments.length === 0) {
		if (!isObject(value)) return value;
		const result: Plain = isObject(tree) ? { ...tree } : {};
		for (const [key, child] of Object.entries(value)) {
			const next = merged(result[key] ?? null, [], child);
			if (next === null) delete result[key];
			else result[key] = next;
		}
		return Object.keys(result).length > 0 ? result : isObject(tree) ? null : tree;
	}
	const [first, ...rest] = segments;
	const result: Plain = isObject(tree) ? { ...tree } : {};
	const next = merged(result[first!] ?? null, rest, value);
	if (next === null) delete result[first!];
	else result[first!] = next;
	return Object.keys(result).length > 0 ? result : null;
}

function removed(tree: unknown, segments: string[]): unknown {
	if (segments.length === 0) return null;
	if (!isObject(tree)) return tree;
	const [first, ...rest] = segments;
	if (!(first! in tree)) return tree;
	const result: Plain = { ...tree };
	const next = removed(result[first!], rest);
	if (next === null || (isObject(next) && Object.keys(next).length === 0)) delete result[first!];
	else result[first!] = next;
	return Object.keys(result).length > 0 ? result : null;
}

function evaluate(rule: Rule | undefined, context: RuleContext): boolean {
	if (rule === undefined) return false;
	return typeof rule === 'boolean' ? rule : rule(context) === true;
}

function contextFor(path: string[], params: Record<string, string>, tree: unknown, after: unknown, auth: Plain): RuleContext {
	return { auth, path: path.join('/'), params, data: valueAt(tree, path), newData: valueAt(after, path), root: (at) => valueAt(tree, segmentsOf(at)), now: 0 };
}

/** Every path a set of `value` at `path` writes to (its leaves), and every path it reaches (those and all above). */
function pathsOf(path: string[], value: unknown): { points: string[][]; reached: string[][] } {
	const points: string[][] = [];
	const reached: string[][] = path.map((_, i) => path.slice(0, i));
	const walk = (at: string[], v: unknown) => {
		reached.push(at);
		if (isObject(v) && Object.keys(v).length > 0) for (const [key, child] of Object.entries(v)) walk([...at, key], child);
		else points.push(at);
	};
	walk(path, value);
	return { points, reached };
}

function referenceCanWrite(rules: Rules, tree: unknown, auth: Plain, path: string, value: unknown): boolean {
	const segments = segmentsOf(path);
	const after = value === null ? removed(tree, segments) : merged(tree, segments, value);
	const granted = (at: string[]) => rulesAlong(rules, at).some((entry, depth) => entry !== undefined && evaluate(entry.node['.write'] as Rule | undefined, contextFor(at.slice(0, depth), entry.params, tree, after, auth)));
	const { points, reached } = value === null ? { points: [segments], reached: segments.map((_, i) => segments.slice(0, i)) } : pathsOf(segments, value);
	if (!points.every(granted)) return false;
	return reached.every((at) => {
		const entry = rulesAlong(rules, at).at(-1);
		const validate = entry?.node['.validate'] as Rule | undefined;
		if (validate === undefined || valueAt(after, at) === null) return true;
		return evaluate(validate, contextFor(at, entry!.params, tree, after, auth));
	});
}

function referenceCanRead(rules: Rules, tree: unknown, auth: Plain, path: string): boolean {
	const segments = segmentsOf(path);
	return rulesAlong(rules, segments).some((entry, depth) => entry !== undefined && evaluate(entry.node['.read'] as Rule | undefined, contextFor(segments.slice(0, depth), entry.params, tree, tree, auth)));
}

describe('rules against a reference evaluator', () => {
	test.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i: 300 random writes and reads under random rule trees decide as the reference does', (seed) => {
		const random = seededRandom(seed * 7919);
		for (let round = 0; round < 30; round++) {
			const rules = randomRules(random, 0);
			const tree = randomValue(random, 0);
			const data = isObject(tree) ? tree : { a: tree };
			const auth = { role: random.pick(['admin', 'user']) };
			const tester = testRules(rules, { auth, data: data as never });
			for (let i = 0; i < 10; i++) {
				const path = randomPath(random);
				const value = random.chance(0.2) ? null : randomValue(random, segmentsOf(path).length);
				const expected = referenceCanWrite(rules, data, auth, path, value);
				const context = JSON.stringify({ seed, round, path, value, data, auth });
				expect(tester.canWrite(path, value), `write ${context}`).toBe(expected);
				expect(tester.canRead(path), `read ${context}`).toBe(referenceCanRead(rules, data, auth, path));
			}
		}
	});
});
