import { SocketDBError } from './errors';
import type { GoodbyeMessage } from './goodbye';
import { isObject, type Json } from './json';
import { nodeify, type NodeDiff } from './node';
import { parseQuery } from './query-spec';
import { MessageType, type ClientInfo, type ClientMessage, type ConnectionStats, type DataOp, type OnDisconnectMessage, type QueryChange, type QueryEntry, type QuerySubscribeMessage, type ServerMessage, type TransactionMessage, type UpdateMessage } from './protocol';

/*
 * Reading messages back: the shape of every message checked, nodes in their compact form
 * expanded. Values inside client writes are checked separately (`validateNodeDiff`), with the
 * server's limits.
 */

const isPlainForm = (wire: unknown): wire is [unknown] => Array.isArray(wire) && wire.length === 1;

function expandNode(wire: unknown): NodeDiff {
	if (isPlainForm(wire)) return nodeify(wire[0] as Json) as NodeDiff;
	if (!isObject(wire)) invalid('a node must be a map or [data]');
	return wire as NodeDiff;
}

function invalid(detail: string): never {
	throw new SocketDBError('INVALID_MESSAGE', detail);
}

function expectString(value: unknown, what: string): string {
	if (typeof value !== 'string') invalid(`${what} must be a string`);
	return value;
}

function expectSeq(value: unknown, what = 'sequence number'): number {
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) invalid(`${what} must be a non-negative integer`);
	return value;
}

function expectRecord(value: unknown, what: string): Record<string, unknown> {
	if (value === undefined || value === null) return {};
	if (!isObject(value)) invalid(`${what} must be a map`);
	return value;
}

function expectOps(ops: unknown, what: string): DataOp[] {
	if (!Array.isArray(ops)) invalid(`${what} must carry a list of changes`);
	return ops.map((op: unknown) => (typeof op === 'string' ? op : expandNode(op)));
}

function expectTuple(raw: unknown): unknown[] {
	if (!Array.isArray(raw) || raw.length === 0) invalid('a message must be a non-empty array');
	return raw;
}

/**
 * Checks the shape of one message a client sent. Values inside are checked
 * separately (see `validateNodeDiff`), because that needs the server's limits.
 *
 * @throws SocketDBError `INVALID_MESSAGE` on an unknown type or wrong shape.
 */
export function parseClientMessage(raw: unknown): ClientMessage {
	const tuple = expectTuple(raw);
	const type = tuple[0];
	switch (type) {
		case MessageType.HELLO: {
			const protocol = tuple[1];
			if (typeof protocol !== 'number') invalid('hello must carry a protocol version');
			const info = expectRecord(tuple[4], 'client info');
			const { version, route } = info;
			const known: ClientInfo = {};
			if (typeof version === 'string') known.version = version;
			if (typeof route === 'string') known.route = route;
			return { type, protocol, session: expectString(tuple[2], 'session id'), acked: expectSeq(tuple[3] ?? 0), info: known };
		}
		case MessageType.SET: {
			const node = tuple[3];
			if (!isObject(node)) invalid('set must carry a node');
			return { type, seq: expectSeq(tuple[1]), path: expectString(tuple[2], 'path'), node: node as NodeDiff };
		}
		case MessageType.DELETE:
			return { type, seq: expectSeq(tuple[1]), path: expectString(tuple[2], 'path') };
		case MessageType.UPDATE: {
			const node = tuple[3];
			const deleted = tuple[4];
			if (node !== null && node !== undefined && !isObject(node)) invalid('update must carry a node or nil');
			if (!Array.isArray(deleted) || !deleted.every((path) => typeof path === 'string')) invalid('update must carry a list of deleted paths');
			const update: UpdateMessage = { type, seq: expectSeq(tuple[1]), path: expectString(tuple[2], 'path'), deleted: deleted as string[] };
			if (isObject(node)) update.node = node as NodeDiff;
			return update;
		}
		case MessageType.TRANSACTION: {
			const node = tuple[4];
			if (node !== null && node !== undefined && !isObject(node)) invalid('a transaction must carry a node or nil');
			if (tuple.length < 4) invalid('a transaction must carry the value it expects');
			const transaction: TransactionMessage = { type, seq: expectSeq(tuple[1]), path: expectString(tuple[2], 'path'), expected: tuple[3] ?? null };
			if (isObject(node)) transaction.node = node as NodeDiff;
			return transaction;
		}
		case MessageType.ON_DISCONNECT:
			return parseOnDisconnect(tuple);
		case MessageType.SUBSCRIBE:
			if (tuple[2] === undefined || tuple[2] === null) return { type, path: expectString(tuple[1], 'path') };
			return { type, path: expectString(tuple[1], 'path'), since: expectSeq(tuple[2], 'revision') };
		case MessageType.UNSUBSCRIBE:
		case MessageType.SUBSCRIBE_KEYS:
		case MessageType.UNSUBSCRIBE_KEYS:
			return { type, path: expectString(tuple[1], 'path') };
		case MessageType.PONG:
			return { type, payload: expectRecord(tuple[1], 'heartbeat payload') };
		case MessageType.ROUTE:
			return { type, route: expectString(tuple[1], 'route') };
		case MessageType.SUBSCRIBE_STATS:
		case MessageType.UNSUBSCRIBE_STATS:
			return { type };
		case MessageType.QUERY_SUBSCRIBE: {
			// The query's own parts are checked here too: a malformed one is refused INVALID_QUERY.
			const message: QuerySubscribeMessage = { type, id: expectSeq(tuple[1], 'query id'), path: expectString(tuple[2], 'path'), query: parseQuery(tuple[3]) };
			if (tuple[4] === true) message.keys = true;
			else if (tuple[4] !== undefined) invalid('a query asks for its keys only with true, or says nothing');
			return message;
		}
		case MessageType.QUERY_UNSUBSCRIBE:
			return { type, id: expectSeq(tuple[1], 'query id') };
		default:
			return invalid(`unknown message type ${JSON.stringify(type)}`);
	}
}

function expectNode(wire: unknown, what: string): NodeDiff {
	if (!isObject(wire) && !isPlainForm(wire)) invalid(`${what} must carry a node`);
	return expandNode(wire);
}

/** A child of a query's window on the wire: `[key, node]`. */
function expectEntry(wire: unknown): QueryEntry {
	if (!Array.isArray(wire) || wire.length !== 2) invalid('a query entry must be [key, node]');
	return { key: expectString(wire[0], 'a query entry key'), node: expectNode(wire[1], 'a query entry') };
}

/** A change of a query's window on the wire: a key (it left) or `[key, node]` (it entered or changed). */
function expectChange(wire: unknown): QueryChange {
	return typeof wire === 'string' ? { key: wire } : expectEntry(wire);
}

/** ON_DISCONNECT: `[type, seq, op, path, ...]`, the rest shaped like the matching write's. */
function parseOnDisconnect(tuple: unknown[]): OnDisconnectMessage {
	const type = MessageType.ON_DISCONNECT;
	const seq = expectSeq(tuple[1]);
	const op = tuple[2];
	const path = expectString(tuple[3], 'path');
	switch (op) {
		case 'set': {
			const node = tuple[4];
			if (!isObject(node)) invalid('an onDisconnect set must carry a node');
			return { type, seq, op, path, node: node as NodeDiff };
		}
		case 'update': {
			const node = tuple[4];
			const deleted = tuple[5];
			if (node !== null && node !== undefined && !isObject(node)) invalid('an onDisconnect update must carry a node or nil');
			if (!Array.isArray(deleted) || !deleted.every((path) => typeof path === 'string')) invalid('an onDisconnect update must carry a list of deleted paths');
			return isObject(node) ? { type, seq, op, path, node: node as NodeDiff, deleted: deleted as string[] } : { type, seq, op, path, deleted: deleted as string[] };
		}
		case 'delete':
		case 'cancel':
			return { type, seq, op, path };
		default:
			return invalid(`unknown onDisconnect operation ${JSON.stringify(op)}; it is one of set, update, delete, cancel`);
	}
}

/**
 * Checks the shape of one message the server sent.
 *
 * @throws SocketDBError `INVALID_MESSAGE` on an unknown type or wrong shape.
 */
export function parseServerMessage(raw: unknown): ServerMessage {
	const tuple = expectTuple(raw);
	const type = tuple[0];
	switch (type) {
		case MessageType.WELCOME: {
			const protocol = tuple[1];
			if (typeof protocol !== 'number') invalid('welcome must carry a protocol version');
			const maxFrameBytes = tuple[3] ?? undefined;
			if (maxFrameBytes !== undefined && (typeof maxFrameBytes !== 'number' || !(maxFrameBytes > 0))) invalid('welcome must carry a positive frame size limit');
			const welcome: ServerMessage = { type, protocol, id: expectString(tuple[2], 'client id') };
			if (maxFrameBytes !== undefined) welcome.maxFrameBytes = maxFrameBytes;
			if (tuple[4] !== undefined && tuple[4] !== null) welcome.db = expectString(tuple[4], 'database id');
			if (tuple[5] === 1) welcome.combine = true;
			return welcome;
		}
		case MessageType.ACK: {
			const ack: ServerMessage = { type, seq: expectSeq(tuple[1]) };
			if (tuple[2] !== undefined && tuple[2] !== null) ack.rev = expectSeq(tuple[2], 'revision');
			// A transaction's ACK carries the value it committed in the fourth place.
			if (tuple.length >= 4) ack.value = tuple[3];
			return ack;
		}
		case MessageType.REJECT: {
			const message: ServerMessage = {
				type,
				seq: expectSeq(tuple[1]),
				code: expectString(tuple[2], 'error code'),
				message: expectString(tuple[3], 'error message'),
			};
			if (tuple[4] !== undefined) message.details = tuple[4];
			return message;
		}
		case MessageType.SNAPSHOT: {
			const node = tuple[2];
			if (node !== null && !isObject(node) && !isPlainForm(node)) invalid('snapshot must carry a node or nil');
			const snapshot: ServerMessage = { type, path: expectString(tuple[1], 'path'), node: node === null ? null : expandNode(node), id: expectSeq(tuple[3]), rev: expectSeq(tuple[4], 'revision') };
			if (tuple[5] === true) snapshot.more = true;
			return snapshot;
		}
		case MessageType.SNAPSHOT_PART:
			if (!isObject(tuple[2]) && !isPlainForm(tuple[2])) invalid('a snapshot part must carry a node');
			return { type, id: expectSeq(tuple[1]), node: expandNode(tuple[2]) };
		case MessageType.SNAPSHOT_END:
			return { type, id: expectSeq(tuple[1]) };
		case MessageType.SNAPSHOT_ABORT:
			return { type, path: expectString(tuple[1], 'path'), code: expectString(tuple[2], 'error code'), message: expectString(tuple[3], 'error message') };
		case MessageType.DATA: {
			const data: ServerMessage = { type, id: expectSeq(tuple[1]), ops: expectOps(tuple[2], 'data'), rev: expectSeq(tuple[3], 'revision') };
			if (tuple[4] === undefined || tuple[4] === null) return data;
			if (!Array.isArray(tuple[4])) invalid('data must list the changes joined to the one before as indexes');
			data.joined = tuple[4].map((index) => expectSeq(index, 'a joined change'));
			return data;
		}
		case MessageType.DELTA:
			return { type, path: expectString(tuple[1], 'path'), id: expectSeq(tuple[2]), ops: expectOps(tuple[3], 'a delta'), rev: expectSeq(tuple[4], 'revision') };
		case MessageType.KEYS: {
			const added = tuple[3];
			const removed = tuple[4];
			if (!Array.isArray(added) || !Array.isArray(removed)) invalid('keys must carry lists of keys');
			return { type, path: expectString(tuple[1], 'path'), reset: tuple[2] === true, added: added as string[], removed: removed as string[] };
		}
		case MessageType.KEYS_SNAPSHOT: {
			const keys = tuple[2];
			if (!Array.isArray(keys)) invalid('a keys snapshot must carry a list of keys');
			return { type, path: expectString(tuple[1], 'path'), keys: keys as string[] };
		}
		case MessageType.PING:
			return { type, payload: expectRecord(tuple[1], 'keep-alive payload') };
		case MessageType.GOODBYE:
			return { type, goodbye: expectRecord(tuple[1], 'goodbye') as GoodbyeMessage };
		case MessageType.ERROR: {
			const error = { type, code: expectString(tuple[1], 'error code'), message: expectString(tuple[2], 'error message') };
			return tuple[3] === undefined ? error : { ...error, path: expectString(tuple[3], 'refused path') };
		}
		case MessageType.MESSAGE:
			return { type, data: tuple[1] };
		case MessageType.STATS: {
			const stats = expectRecord(tuple[1], 'stats');
			if (typeof stats['total'] !== 'number' || !isObject(stats['versions']) || !isObject(stats['routes'])) invalid('stats must carry a total, versions and routes');
			if (stats['queries'] !== undefined && !isObject(stats['queries'])) invalid('the stats\' queries must be a map');
			return { type, stats: stats as ConnectionStats };
		}
		case MessageType.QUERY_RESULT: {
			const id = expectSeq(tuple[1], 'query id');
			if (tuple[2] === null) return { type, id, refused: { code: expectString(tuple[3], 'error code'), message: expectString(tuple[4], 'error message') } };
			if (!Array.isArray(tuple[2])) invalid('a query result must carry a list of entries or nil');
			return { type, id, entries: tuple[2].map(expectEntry), rev: expectSeq(tuple[3], 'revision') };
		}
		case MessageType.QUERY_CHANGES:
			if (!Array.isArray(tuple[2])) invalid('query changes must carry a list of changes');
			return { type, id: expectSeq(tuple[1], 'query id'), changes: tuple[2].map(expectChange), rev: expectSeq(tuple[3], 'revision') };
		default:
			return invalid(`unknown message type ${JSON.stringify(type)}`);
	}
}
