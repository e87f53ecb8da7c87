import { SocketDBError } from './errors';
import { isObject } from './json';
import type { NodeDiff } from './node';

/**
 * A value the server fills in when it applies a write: the server's clock, or an atomic
 * increment of what the path holds then. On the wire it is a leaf node with `sv` instead of
 * `value`: `{ sv: 'timestamp' }` or `{ sv: { increment: 5 } }`.
 */
export type ServerValueSpec = 'timestamp' | { increment: number };

/** A leaf node of a write that the server fills in. */
export type ServerValueNode = { sv: ServerValueSpec; meta?: NodeDiff['meta'] };

/**
 * What `increment()` and `serverTimestamp()` return: a placeholder for a leaf value in `set`,
 * `update`, `push`, transaction results and `onDisconnect` writes. It is not a key and not
 * data: used as a key it throws, and a write holding it anywhere else (in meta, in an array)
 * is refused with `INVALID_VALUE`.
 */
export class ServerValue {
	constructor(readonly spec: ServerValueSpec) {
		Object.freeze(this);
	}

	toString(): string {
		throw new SocketDBError('INVALID_VALUE', 'a server value (increment, serverTimestamp) stands for a value; it cannot be a key or text');
	}
}

/**
 * A placeholder the server replaces, when it applies the write, by the number at that path plus
 * `delta`; a path that holds no number (or nothing) gets `delta`. Atomic: concurrent increments
 * all count.
 *
 * @example await db.get('posts/1/likes').set(increment(1));
 */
export function increment(delta: number): ServerValue {
	return new ServerValue({ increment: delta });
}

/**
 * A placeholder the server replaces by its clock (milliseconds since the epoch) when it applies
 * the write.
 *
 * @example await db.get('users/42').update({ lastSeen: serverTimestamp() });
 */
export function serverTimestamp(): ServerValue {
	return new ServerValue('timestamp');
}

/** True for a node of a write that holds a server value (`{ sv }`). */
export function isServerValueNode(node: unknown): node is ServerValueNode {
	return isObject(node) && node['sv'] !== undefined;
}

/** True when a write's diff holds a server value anywhere. */
export function holdsServerValues(diff: NodeDiff): boolean {
	if (isServerValueNode(diff)) return true;
	if (!isObject(diff.value)) return false;
	for (const key in diff.value) if (holdsServerValues(diff.value[key] as NodeDiff)) return true;
	return false;
}

/**
 * Checks a server value as it arrived.
 *
 * @throws SocketDBError `INVALID_VALUE` for anything but `'timestamp'` and `{ increment: <finite number> }`.
 */
export function assertServerValueSpec(spec: unknown, path: string): asserts spec is ServerValueSpec {
	if (spec === 'timestamp') return;
	if (isObject(spec) && Object.keys(spec).length === 1 && typeof spec['increment'] === 'number' && Number.isFinite(spec['increment'])) return;
	const where = path === '' ? '' : ` at "${path}"`;
	throw new SocketDBError('INVALID_VALUE', `a server value${where} is 'timestamp' or { increment: <number> }; increment() takes a finite number`);
}
