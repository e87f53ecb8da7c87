import { assertPath, assertRootObject, MessageType, validateNodeDiff, type ClientMessage } from '@socketdb/core';
import type { Limits } from './limits';

/** What a client's write must satisfy before any hook or the store sees it; throws a `SocketDBError`. */
export function checkWrite(message: Extract<ClientMessage, { type: typeof MessageType.SET | typeof MessageType.DELETE }>, limits: Limits): void {
	assertPath(message.path, limits.maxPathLength);
	if (message.type !== MessageType.SET) return;
	validateNodeDiff(message.node, { maxDepth: limits.maxDepth, maxKeys: limits.maxKeysPerWrite });
	// A diff without a value (meta only) leaves the root's value as it is.
	if (message.path === '' && message.node.value !== undefined) assertRootObject(message.node.value);
}
