import type { QuerySpec } from '@socketdb/core';
import type { SessionContext } from '@socketdb/server';

/** What a rule function is told. */
export type RuleContext = {
	/** The client's session context (what `initializeSession` gave it). */
	auth: SessionContext;
	/** The path the rule is evaluated for (a concrete path, `$name` segments filled in). */
	path: string;
	/** The `$name` segments of the rule's path, bound to the keys they matched. */
	params: Record<string, string>;
	/** The value at `path` now; null when there is none. */
	data: unknown;
	/** The value at `path` after the write; null when there will be none (for `.read`, the same as `data`). */
	newData: unknown;
	/** The value at any path now; null when there is none. */
	root: (path: string) => unknown;
	/** The server's clock, in milliseconds since the epoch, as the write is decided. */
	now: number;
	/** For a query's `.read`: the query. */
	query?: QuerySpec;
};

/** A rule: a constant, or a function of the context. A function that throws denies. */
export type Rule = boolean | ((ctx: RuleContext) => boolean | Promise<boolean>);

/**
 * A tree of rules keyed by path segment. `$name` matches any segment not named beside it and binds
 * `params.name`; `.read`, `.write` and `.validate` may appear at any level.
 */
export interface Rules {
	'.read'?: Rule;
	'.write'?: Rule;
	'.validate'?: Rule;
	[segment: string]: Rules | Rule | undefined;
}

/** One level of a checked rule tree. */
export type RuleNode = {
	/** The rule's path as written, `$name` segments kept ('' at the root). */
	readonly path: string;
	readonly read: Rule | undefined;
	readonly write: Rule | undefined;
	readonly validate: Rule | undefined;
	readonly children: ReadonlyMap<string, RuleNode>;
	/** The `$name` child: its name and node. */
	readonly wildcard: { readonly name: string; readonly node: RuleNode } | undefined;
};

const RULE_KEYS = new Set(['.read', '.write', '.validate']);

/**
 * Checks a rule tree and turns it into `RuleNode`s.
 *
 * @throws TypeError naming the place, for a key starting with `.` that is no rule, a rule that is
 *   neither a boolean nor a function, two `$name` keys at one level, or a level that is no object.
 */
export function compileRules(rules: Rules, path = ''): RuleNode {
	if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) throw new TypeError(`rules at "${path}" must be an object`);
	const children = new Map<string, RuleNode>();
	let wildcard: RuleNode['wildcard'];
	for (const key of Object.keys(rules)) {
		const value = rules[key];
		if (key.startsWith('.')) {
			if (!RULE_KEYS.has(key)) throw new TypeError(`"${key}" at "${path}" is no rule: a rule is .read, .write or .validate`);
			if (typeof value !== 'boolean' && typeof value !== 'function') throw new TypeError(`${key} at "${path}" must be a boolean or a function`);
			continue;
		}
		if (key === '' || key.includes('/')) throw new TypeError(`"${key}" at "${path}" is no path segment`);
		const childPath = path === '' ? key : `${path}/${key}`;
		const node = compileRules(value as Rules, childPath);
		if (key.startsWith('$')) {
			if (wildcard !== undefined) throw new TypeError(`"${path}" has two $ keys ("${wildcard.name}" and "${key.slice(1)}"); a level has at most one`);
			wildcard = { name: key.slice(1), node };
		} else children.set(key, node);
	}
	return { path, read: rules['.read'] as Rule | undefined, write: rules['.write'] as Rule | undefined, validate: rules['.validate'] as Rule | undefined, children, wildcard };
}

/**
 * The rule node for child `key` of `node`: the named one, else the `$name` one (whose binding is
 * added to `params`, a copy); undefined when no rule reaches that far.
 */
export function childRule(node: RuleNode | undefined, key: string, params: Record<string, string>): { node: RuleNode; params: Record<string, string> } | undefined {
	if (node === undefined) return undefined;
	const named = node.children.get(key);
	if (named !== undefined) return { node: named, params };
	const wildcard = node.wildcard;
	if (wildcard === undefined) return undefined;
	return { node: wildcard.node, params: { ...params, [wildcard.name]: key } };
}
