import { anchorAtPath, isObject, nodeify, parsePath, type Json, type NodeDiff, type QuerySpec } from '@socketdb/core';
import type { SessionContext } from '@socketdb/server';
import { settleRead, settleWrite, type RulesWorld } from './decide';
import { compileRules, type Rules } from './rule-tree';

export type TestRulesOptions = {
	/** The session context of the client the rules judge. */
	auth?: SessionContext;
	/** The tree as it is before the reads and writes asked about. @default {} */
	data?: Json;
	/** The clock the rules see. @default Date.now() at each question */
	now?: number;
};

/** Asks rules what they allow, without a server. */
export type RulesTester = {
	/** Whether the client may subscribe to `path` (with `query`, for a query). A boolean at once unless a rule returned a promise. */
	canRead(path: string, query?: QuerySpec): boolean | Promise<boolean>;
	/** Whether the client may set `value` at `path` (merged, as `set` does; null deletes). A boolean at once unless a rule returned a promise. */
	canWrite(path: string, value: unknown): boolean | Promise<boolean>;
};

/**
 * The rules of `pluginRules`, judged here: unit-test them without a server.
 *
 * @example
 * const rules = testRules({ users: { $uid: { '.write': ({ auth, params }) => auth.uid === params.uid } } }, { auth: { uid: 'ada' } });
 * rules.canWrite('users/ada/name', 'Ada'); // true
 * rules.canWrite('users/bob/name', 'Ada'); // false
 */
export function testRules(rules: Rules, options: TestRulesOptions = {}): RulesTester {
	const root = compileRules(rules);
	const data = options.data ?? {};
	const world = (): RulesWorld => ({
		auth: options.auth ?? ({} as SessionContext),
		now: options.now ?? Date.now(),
		read: (path) => valueAt(data, parsePath(path)),
	});
	const allowed = (decision: { allowed: boolean } | Promise<{ allowed: boolean }>) => (decision instanceof Promise ? decision.then((d) => d.allowed) : decision.allowed);
	return {
		canRead: (path, query) => allowed(settleRead(root, path, query, world())),
		canWrite: (path, value) =>
			allowed(settleWrite(root, value === null || value === undefined ? { deleted: path } : { diff: anchorAtPath(parsePath(path), nodeify(value as never)) as NodeDiff }, world())),
	};
}

function valueAt(data: unknown, segments: readonly string[]): unknown {
	let value = data;
	for (const segment of segments) {
		if (!isObject(value) || !Object.hasOwn(value, segment)) return null;
		value = value[segment];
	}
	return value ?? null;
}
