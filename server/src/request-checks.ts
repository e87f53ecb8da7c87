import { assertPath, assertRootObject, joinPath, MessageType, normalizePath, SocketDBError, validateNodeDiff, type ClientMessage } from '@socketdb/core';
import type { Limits } from './limits';

/** What a client's write must satisfy before any hook or the store sees it; throws a `SocketDBError`. */
export function checkWrite(message: Extract<ClientMessage, { type: typeof MessageType.SET | typeof MessageType.DELETE | typeof MessageType.UPDATE }>, limits: Limits): void {
	assertPath(message.path, limits.maxPathLength);
	if (message.type === MessageType.DELETE) return;
	if (message.type === MessageType.UPDATE) return checkUpdate(message, limits);
	validateNodeDiff(message.node, { maxDepth: limits.maxDepth, maxKeys: limits.maxKeysPerWrite });
	// A diff without a value (meta only) leaves the root's value as it is.
	if (message.path === '' && message.node.value !== undefined) assertRootObject(message.node.value);
}

/** Every deleted path counts as a key of the write, next to the node's. */
function checkUpdate(message: Extract<ClientMessage, { type: typeof MessageType.UPDATE }>, limits: Limits): void {
	if (message.deleted.length > limits.maxKeysPerWrite) throw new SocketDBError('TOO_MANY_KEYS', `a write holds at most ${limits.maxKeysPerWrite} keys; this update deletes ${message.deleted.length} paths`);
	for (const relative of message.deleted) {
		if (normalizePath(relative) === '') throw new SocketDBError('INVALID_PATH', 'an update cannot delete the path it is made at; delete() it');
		assertPath(joinPath(message.path, relative), limits.maxPathLength);
	}
	if (message.node === undefined) return;
	validateNodeDiff(message.node, { maxDepth: limits.maxDepth, maxKeys: limits.maxKeysPerWrite - message.deleted.length });
	if (message.path === '' && message.node.value !== undefined) assertRootObject(message.node.value);
}
