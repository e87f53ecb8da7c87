import { assertPath, assertRootObject, isServerValueNode, joinPath, MessageType, normalizePath, SocketDBError, validateJson, validateNodeDiff, type ClientMessage, type NodeDiff, type OnDisconnectMessage } from '@socketdb/core';
import type { Limits } from './limits';

/** A client message that writes: numbered, answered with ACK or REJECT. */
export type WriteMessage = Extract<ClientMessage, { type: typeof MessageType.SET | typeof MessageType.DELETE | typeof MessageType.UPDATE | typeof MessageType.TRANSACTION }>;

/**
 * What a client's write must satisfy before any hook or the store sees it; throws a `SocketDBError`.
 * Returns whether its values hold server values (`increment()`, `serverTimestamp()`).
 */
export function checkWrite(message: WriteMessage, limits: Limits): boolean {
	assertPath(message.path, limits.maxPathLength);
	if (message.type === MessageType.DELETE) return false;
	if (message.type === MessageType.UPDATE) return checkUpdate(message, limits);
	if (message.type === MessageType.TRANSACTION) return checkTransaction(message, limits);
	return checkNode(message.node, message.path, limits, limits.maxKeysPerWrite);
}

/** The value a transaction expects counts against the limits like a value it writes. */
function checkTransaction(message: Extract<ClientMessage, { type: typeof MessageType.TRANSACTION }>, limits: Limits): boolean {
	if (message.path === '') throw new SocketDBError('INVALID_PATH', 'a transaction works on a path below the root');
	validateJson(message.expected, { maxDepth: limits.maxDepth, maxKeys: limits.maxKeysPerWrite });
	return message.node === undefined ? false : checkNode(message.node, message.path, limits, limits.maxKeysPerWrite);
}

/** Every deleted path counts as a key of the write, next to the node's. */
function checkUpdate(message: Extract<ClientMessage, { type: typeof MessageType.UPDATE }>, limits: Limits): boolean {
	if (message.deleted.length > limits.maxKeysPerWrite) throw new SocketDBError('TOO_MANY_KEYS', `a write holds at most ${limits.maxKeysPerWrite} keys; this update deletes ${message.deleted.length} paths`);
	for (const relative of message.deleted) {
		if (normalizePath(relative) === '') throw new SocketDBError('INVALID_PATH', 'an update cannot delete the path it is made at; delete() it');
		assertPath(joinPath(message.path, relative), limits.maxPathLength);
	}
	if (message.node === undefined) return false;
	return checkNode(message.node, message.path, limits, limits.maxKeysPerWrite - message.deleted.length);
}

function checkNode(node: NodeDiff, path: string, limits: Limits, maxKeys: number): boolean {
	const serverValues = validateNodeDiff(node, { maxDepth: limits.maxDepth, maxKeys }, '', true);
	if (path !== '') return serverValues;
	// The root stays an object: a diff without a value (meta only) leaves it as it is.
	if (node.value !== undefined) assertRootObject(node.value);
	if (isServerValueNode(node)) throw new SocketDBError('INVALID_VALUE', 'the root of the tree must stay an object; a server value cannot replace it');
	return serverValues;
}

/** An `onDisconnect` operation is checked as the write it stands for; a cancel names a path. */
export function checkDisconnectWrite(message: OnDisconnectMessage, limits: Limits): void {
	const { seq, path } = message;
	if (message.op === 'set') checkWrite({ type: MessageType.SET, seq, path, node: message.node }, limits);
	else if (message.op === 'update') checkWrite(message.node === undefined ? { type: MessageType.UPDATE, seq, path, deleted: message.deleted } : { type: MessageType.UPDATE, seq, path, node: message.node, deleted: message.deleted }, limits);
	else assertPath(path, limits.maxPathLength);
}
