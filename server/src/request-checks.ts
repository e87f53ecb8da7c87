import { invalidPathReason, isObject, MessageType, SocketDBError, validateNodeDiff, type ClientMessage } from '@socketdb/core';
import type { Limits } from './limits';

/** Refuses a path that is malformed, uses a reserved key, or is longer than the limit (`INVALID_PATH`). */
export function checkPath(path: string, maxLength: number): void {
	const reason = invalidPathReason(path, maxLength);
	if (reason !== null) throw new SocketDBError('INVALID_PATH', reason);
}

/** What a client's write must satisfy before any hook or the store sees it; throws a `SocketDBError`. */
export function checkWrite(message: Extract<ClientMessage, { type: typeof MessageType.SET | typeof MessageType.DELETE }>, limits: Limits): void {
	checkPath(message.path, limits.maxPathLength);
	if (message.type !== MessageType.SET) return;
	validateNodeDiff(message.node, { maxDepth: limits.maxDepth, maxKeys: limits.maxKeysPerWrite });
	if (message.path === '' && message.node.value !== undefined && !isObject(message.node.value)) {
		throw new SocketDBError('INVALID_VALUE', 'the root of the tree must stay an object');
	}
}
