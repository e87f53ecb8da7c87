import { isObject, parsePath, type NodeDiff, type QuerySpec } from '@socketdb/core';
import type { SessionContext } from '@socketdb/server';
import { childRule, type Rule, type RuleContext, type RuleNode } from './rule-tree';

/** What the rules may read of the database, and who is asking. */
export type RulesWorld = {
	readonly auth: SessionContext;
	readonly now: number;
	/** The plain value at a path now; null when there is none. */
	readonly read: (path: string) => unknown;
};

/**
 * A write to decide: a root-anchored diff merged into the tree (with `replaces`, a transaction's,
 * whose value replaces the one at that path), or a path deleted.
 */
export type WriteRequest = { readonly diff: NodeDiff; readonly replaces?: string | undefined } | { readonly deleted: string };

/** The rules' answer: allowed, or refused with the path of the rule (or the written path no rule grants) and why. */
export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly path: string; readonly message: string; readonly cause?: unknown };

/** A rule function that threw (or whose promise rejected): it denies, and its error is kept for the server's log. */
class RuleFailure {
	constructor(readonly error: unknown) {}
}
type Outcome = boolean | RuleFailure;

/** Thrown through a decision by a rule that returned a promise: the decision is made again once it settled. */
class Pending {
	constructor(readonly outcome: Promise<Outcome>) {}
}

/**
 * Evaluates the rules of one decision. Decisions are plain synchronous walks, so a tree of
 * synchronous rules decides at once. A rule that returns a promise stops the walk; once the promise
 * settles the walk starts again, and every rule function it already called answers as it did
 * (rules are called once each, in the same order, since the walk is the same).
 */
class Decider {
	private readonly outcomes: Outcome[] = [];
	private index = 0;

	evaluate(rule: Rule, world: RulesWorld, path: string, params: Record<string, string>, after: After, query?: QuerySpec): Outcome {
		if (typeof rule === 'boolean') return rule;
		if (this.index < this.outcomes.length) return this.outcomes[this.index++]!;
		let result: boolean | Promise<boolean>;
		try {
			const context = new Context(world, path, params, after);
			if (query !== undefined) context.query = query;
			result = rule(context);
		} catch (error) {
			this.outcomes.push(new RuleFailure(error));
			return this.outcomes[this.index++]!;
		}
		if (result instanceof Promise) {
			throw new Pending(
				result.then(
					(value) => value === true,
					(error: unknown) => new RuleFailure(error),
				),
			);
		}
		this.outcomes.push(result === true);
		return this.outcomes[this.index++]!;
	}

	/** Runs `decide` to its end: at once when every rule it met was synchronous, else as a promise. */
	settle<T>(decide: (decider: Decider) => T): T | Promise<T> {
		this.index = 0;
		try {
			return decide(this);
		} catch (thrown) {
			if (!(thrown instanceof Pending)) throw thrown;
			return thrown.outcome.then((outcome) => {
				this.outcomes.push(outcome);
				return this.settle(decide);
			});
		}
	}
}

const ALLOWED: Decision = Object.freeze({ allowed: true });

/** May the client read `path`? See `decideRead`. */
export function settleRead(root: RuleNode, path: string, query: QuerySpec | undefined, world: RulesWorld): Decision | Promise<Decision> {
	return new Decider().settle((decider) => decideRead(decider, root, path, query, world));
}

/** May the client make this write? See `decideWrite`. */
export function settleWrite(root: RuleNode, request: WriteRequest, world: RulesWorld): Decision | Promise<Decision> {
	return new Decider().settle((decider) => decideWrite(decider, root, request, world));
}

/** What the value at a path will be after the write; undefined for a read. */
type After = ((path: string) => unknown) | undefined;

/** The context a rule function sees; `data` and `newData` are read only when it asks for them. */
class Context implements RuleContext {
	readonly auth: SessionContext;
	readonly now: number;
	readonly root: (path: string) => unknown;
	query?: QuerySpec;

	constructor(
		private readonly world: RulesWorld,
		readonly path: string,
		readonly params: Record<string, string>,
		private readonly after: After,
	) {
		this.auth = world.auth;
		this.now = world.now;
		this.root = world.read;
	}

	get data(): unknown {
		return this.world.read(this.path);
	}

	get newData(): unknown {
		return this.after === undefined ? this.data : this.after(this.path);
	}
}

function refused(path: string, message: string, outcome: Outcome): Decision {
	return outcome instanceof RuleFailure ? { allowed: false, path, message: `${message} (the rule failed)`, cause: outcome.error } : { allowed: false, path, message };
}

/** The rule node and params of each step down `segments`, as far as rules reach. */
function* along(root: RuleNode, segments: readonly string[]): Generator<{ node: RuleNode; params: Record<string, string>; depth: number }> {
	let node: RuleNode | undefined = root;
	let params: Record<string, string> = {};
	for (let depth = 0; node !== undefined; depth++) {
		yield { node, params, depth };
		if (depth === segments.length) return;
		const next = childRule(node, segments[depth]!, params);
		node = next?.node;
		if (next !== undefined) params = next.params;
	}
}

/**
 * May the client read `path` (with `query`, for a query)? Yes when a `.read` at the path or above
 * grants it; a grant cannot be taken back deeper, and rules below the path do not count.
 */
function decideRead(decider: Decider, root: RuleNode, path: string, query: QuerySpec | undefined, world: RulesWorld): Decision {
	const segments = parsePath(path);
	let failure: Decision | undefined;
	for (const { node, params, depth } of along(root, segments)) {
		if (node.read === undefined) continue;
		const outcome = decider.evaluate(node.read, world, segments.slice(0, depth).join('/'), params, undefined, query);
		if (outcome === true) return ALLOWED;
		if (outcome instanceof RuleFailure) failure ??= refused(node.path, `.read at "${node.path}" denies "${path}"`, outcome);
	}
	return failure ?? { allowed: false, path, message: `no .read rule grants "${path}"` };
}

/**
 * May the client make this write? Every path it writes must be granted by a `.write` at or above
 * it (a grant covers everything below; deeper rules cannot take it back); then every `.validate`
 * the write reaches must pass: those along the way to what it writes and those at or below it.
 * A `.validate` is skipped where the value after the write is null (a delete).
 */
function decideWrite(decider: Decider, root: RuleNode, request: WriteRequest, world: RulesWorld): Decision {
	if ('deleted' in request) {
		const path = request.deleted;
		const segments = parsePath(path);
		const after = (at: string) => valueAfterDelete(world.read(at), at, segments);
		const granted = grantedAlong(decider, root, segments, world, after, `deleting "${path}"`);
		if (granted !== ALLOWED) return granted;
		// The ancestors' `.validate` see what is left of them.
		for (const { node, params, depth } of along(root, segments)) {
			if (depth === segments.length || node.validate === undefined) continue;
			const at = segments.slice(0, depth).join('/');
			if (after(at) === null) continue;
			const outcome = decider.evaluate(node.validate, world, at, params, after);
			if (outcome !== true) return refused(node.path, `.validate at "${node.path}" refuses "${at}"`, outcome);
		}
		return ALLOWED;
	}
	const { diff, replaces } = request;
	// What the diff merges into: the tree now, or, for a transaction, the tree without what it replaces.
	let before = world.read;
	if (replaces !== undefined) {
		const segments = parsePath(replaces);
		before = (at: string) => valueAfterDelete(world.read(at), at, segments);
		const granted = grantedAlong(decider, root, segments, world, (at) => valueAfterMerge(before(at), diff, parsePath(at)), `replacing "${replaces}"`);
		if (granted !== ALLOWED) return granted;
	}
	const write = grantWalk(decider, root, diff, '', {}, false, world, before);
	if (write !== ALLOWED) return write;
	return validateWalk(decider, root, diff, '', {}, world, before);
}

/** Allowed when a `.write` on the way from the root to `segments` (included) grants; else the refusal. */
function grantedAlong(decider: Decider, root: RuleNode, segments: readonly string[], world: RulesWorld, after: After, what: string): Decision {
	let failure: Decision | undefined;
	for (const { node, params, depth } of along(root, segments)) {
		if (node.write === undefined) continue;
		const outcome = decider.evaluate(node.write, world, segments.slice(0, depth).join('/'), params, after);
		if (outcome === true) return ALLOWED;
		if (outcome instanceof RuleFailure) failure ??= refused(node.path, `.write at "${node.path}" denies ${what}`, outcome);
	}
	return failure ?? { allowed: false, path: segments.join('/'), message: `no .write rule grants ${what}` };
}

/** What `path` holds after `node` (the diff there) is merged into it. */
const mergedAt = (before: (path: string) => unknown, node: NodeDiff) => (path: string) => {
	// A leaf replaces what was there: no need to read it.
	const value = node.value;
	return value !== undefined && !isObject(value) ? value : mergeValue(before(path), node);
};

const childPath = (path: string, key: string) => (path === '' ? key : `${path}/${key}`);

/** Walks the diff with the rules: each place the diff writes (a leaf, an empty object or meta) needs a grant at or above it. */
function grantWalk(decider: Decider, node: RuleNode | undefined, diff: NodeDiff, path: string, params: Record<string, string>, granted: boolean, world: RulesWorld, before: (path: string) => unknown): Decision {
	if (!granted && node?.write !== undefined) {
		const outcome = decider.evaluate(node.write, world, path, params, mergedAt(before, diff));
		if (outcome instanceof RuleFailure) return refused(node.path, `.write at "${node.path}" denies "${path}"`, outcome);
		granted = outcome;
	}
	const value = diff.value;
	if (!isObject(value)) return granted ? ALLOWED : denied(path);
	if (!granted && diff.meta !== undefined) return denied(path);
	let empty = true;
	for (const key in value) {
		empty = false;
		const child = childRule(node, key, params);
		const decision = grantWalk(decider, child?.node, value[key] as NodeDiff, childPath(path, key), child?.params ?? params, granted, world, before);
		if (decision !== ALLOWED) return decision;
	}
	return empty && !granted ? denied(path) : ALLOWED;
}

function denied(path: string): Decision {
	return { allowed: false, path, message: `no .write rule grants writing "${path}"` };
}

/** Whether a diff's value holds nothing but deletes (so that the value after it may be null). */
function deletesOnly(value: unknown): boolean {
	if (!isObject(value)) return false;
	for (const key in value) {
		const child = (value[key] as NodeDiff).value;
		if (child !== null && !deletesOnly(child)) return false;
	}
	return true;
}

/** Every `.validate` the diff reaches, from the root down to all it writes. */
function validateWalk(decider: Decider, node: RuleNode, diff: NodeDiff, path: string, params: Record<string, string>, world: RulesWorld, before: (path: string) => unknown): Decision {
	const value = diff.value;
	if (node.validate !== undefined) {
		const after = mergedAt(before, diff);
		// Where the write leaves nothing (a leaf set to null, an object of deletes that empties it), there is nothing to validate.
		if (value !== null && (!deletesOnly(value) || after(path) !== null)) {
			const outcome = decider.evaluate(node.validate, world, path, params, after);
			if (outcome !== true) return refused(node.path, `.validate at "${node.path}" refuses "${path}"`, outcome);
		}
	}
	if (!isObject(value)) return ALLOWED;
	for (const key in value) {
		const child = childRule(node, key, params);
		if (child === undefined) continue;
		const decision = validateWalk(decider, child.node, value[key] as NodeDiff, childPath(path, key), child.params, world, before);
		if (decision !== ALLOWED) return decision;
	}
	return ALLOWED;
}

/** The value at `path` once the root-anchored `diff` is merged into the tree (SocketDB's merge: objects key by key, leaves replace, null removes). */
function valueAfterMerge(now: unknown, diff: NodeDiff, segments: readonly string[]): unknown {
	let node: NodeDiff | undefined = diff;
	for (const segment of segments) {
		const value: unknown = node?.value;
		node = isObject(value) ? (value as Record<string, NodeDiff>)[segment] : undefined;
		if (node === undefined) return now;
	}
	return mergeValue(now, node!);
}

function mergeValue(now: unknown, node: NodeDiff): unknown {
	const value = node.value;
	if (value === undefined) return now;
	if (!isObject(value)) return value;
	const merged: Record<string, unknown> = isObject(now) ? { ...now } : {};
	for (const key of Object.keys(value)) {
		const next = mergeValue(merged[key] ?? null, (value as Record<string, NodeDiff>)[key]!);
		if (next === null) delete merged[key];
		else merged[key] = next;
	}
	return Object.keys(merged).length > 0 ? merged : isObject(now) ? null : now;
}

/** The value at `path` once `deleted` (its segments) is deleted. */
function valueAfterDelete(now: unknown, path: string, deleted: readonly string[]): unknown {
	const segments = parsePath(path);
	if (segments.length >= deleted.length) return deleted.every((segment, i) => segments[i] === segment) ? null : now;
	if (!segments.every((segment, i) => deleted[i] === segment)) return now;
	return without(now, deleted.slice(segments.length));
}

function without(value: unknown, segments: readonly string[]): unknown {
	if (!isObject(value) || !(segments[0]! in value)) return value;
	const copy: Record<string, unknown> = { ...value };
	if (segments.length === 1) delete copy[segments[0]!];
	else {
		const inner = without(copy[segments[0]!], segments.slice(1));
		if (inner === null || (isObject(inner) && Object.keys(inner).length === 0)) delete copy[segments[0]!];
		else copy[segments[0]!] = inner;
	}
	return Object.keys(copy).length > 0 ? copy : null;
}
