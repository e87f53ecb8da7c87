import { pack, unpackMultiple } from '#msgpack';
import { SocketDBError } from './errors';
import type { GoodbyeMessage } from './goodbye';
import { isObject } from './json';
import type { NodeDiff } from './node';
import type { QuerySpec } from './query-spec';

/**
 * The wire protocol. A frame is one or more MessagePack values back to back;
 * each value is one message, an array whose first element is its type.
 * Nothing outside this module knows the byte layout. See docs/protocol.md.
 */
export const PROTOCOL_VERSION = 2;

/** The largest frame a server accepts unless configured otherwise (16 MiB); clients assume it until a server says. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Message type numbers. Client-to-server types are below 20, server-to-client types from 20. */
export const MessageType = {
	HELLO: 1,
	SET: 2,
	DELETE: 3,
	SUBSCRIBE: 4,
	UNSUBSCRIBE: 5,
	SUBSCRIBE_KEYS: 6,
	UNSUBSCRIBE_KEYS: 7,
	PONG: 8,
	ROUTE: 9,
	SUBSCRIBE_STATS: 10,
	UNSUBSCRIBE_STATS: 11,
	UPDATE: 12,
	TRANSACTION: 13,
	ON_DISCONNECT: 14,
	QUERY_SUBSCRIBE: 15,
	QUERY_UNSUBSCRIBE: 16,

	WELCOME: 20,
	ACK: 21,
	REJECT: 22,
	SNAPSHOT: 23,
	DATA: 24,
	KEYS: 25,
	PING: 26,
	GOODBYE: 27,
	ERROR: 28,
	KEYS_SNAPSHOT: 29,
	MESSAGE: 30,
	STATS: 31,
	SNAPSHOT_PART: 32,
	SNAPSHOT_END: 33,
	SNAPSHOT_ABORT: 34,
	DELTA: 35,
	QUERY_RESULT: 36,
	QUERY_CHANGES: 37,
} as const;

/** What a client says about itself in its first message: the app's build version and its current route. */
export type ClientInfo = { version?: string; route?: string };

/**
 * Connected clients, counted by the version and the route they reported; while there are live
 * queries, also those by query (as `describeQuery` names them: the path, then the query as code),
 * at most 50, the most held first.
 */
export type ConnectionStats = { total: number; versions: Record<string, number>; routes: Record<string, number>; queries?: Record<string, number> };

/**
 * DATA messages name their path by a number the server assigns per subscribed path (told
 * in the SNAPSHOT), instead of repeating the path string in every update.
 *
 * One change inside a DATA message: a node diff merged at the subscribed path,
 * or a string naming a path (relative to the subscribed path, `''` for itself) that was deleted.
 */
export type DataOp = NodeDiff | string;

/*
 * A DATA message's ops are applied in order, and the client's listeners hear of each. A write of
 * several paths (one revision) may bring several ops for one subscribed path: `joined` lists the
 * indexes of ops that belong to the same write as the op before them, so that the client applies
 * them together and its listeners never see the write half done.
 */

/*
 * A value too large for one message is streamed: a SNAPSHOT with `more` carries its first
 * slice, SNAPSHOT_PARTs carry further slices (diffs anchored at the subscribed path, each
 * adding nodes the earlier ones did not hold), and SNAPSHOT_END says the value is complete.
 * SNAPSHOT_ABORT says the server stopped sending the value at a path and dropped that
 * subscription (for instance because it is larger than the server allows).
 *
 * Resuming: a client that held a subscription's value at revision `since` of database `db`
 * (told in WELCOME) subscribes again with `since`; when the server's history reaches back
 * that far, it answers with DELTA, the changes since then in DATA's form, instead of SNAPSHOT.
 */

export type ClientMessage =
	| { type: typeof MessageType.HELLO; protocol: number; session: string; acked: number; info: ClientInfo }
	| { type: typeof MessageType.SET; seq: number; path: string; node: NodeDiff }
	| { type: typeof MessageType.DELETE; seq: number; path: string }
	| UpdateMessage
	| TransactionMessage
	| OnDisconnectMessage
	| { type: typeof MessageType.SUBSCRIBE; path: string; since?: number }
	| { type: typeof MessageType.UNSUBSCRIBE; path: string }
	| { type: typeof MessageType.SUBSCRIBE_KEYS; path: string }
	| { type: typeof MessageType.UNSUBSCRIBE_KEYS; path: string }
	| { type: typeof MessageType.PONG; payload: Record<string, unknown> }
	| { type: typeof MessageType.ROUTE; route: string }
	| { type: typeof MessageType.SUBSCRIBE_STATS }
	| { type: typeof MessageType.UNSUBSCRIBE_STATS }
	| QuerySubscribeMessage
	| { type: typeof MessageType.QUERY_UNSUBSCRIBE; id: number };

/**
 * A live query on the children of `path`. `id` is the client's number for it (unique among its
 * queries on this connection); the server's QUERY_RESULT and QUERY_CHANGES name it. With `keys`
 * the client wants the keys in the window only: each entry's node then holds the child's sort
 * value instead of the child (null when ordered by key, `{}` for an object), and a child whose
 * value changed without changing its sort value is not sent again.
 */
export type QuerySubscribeMessage = { type: typeof MessageType.QUERY_SUBSCRIBE; id: number; path: string; query: QuerySpec; keys?: true };

/** One child in a query's window: its key and its whole node (value and meta). */
export type QueryEntry = { key: string; node: NodeDiff };

/** A change of a query's window: a child that entered it or changed (`node`, its whole new node), or one that left it (no node). */
export type QueryChange = { key: string; node?: NodeDiff };

/**
 * The answer to QUERY_SUBSCRIBE: the children in the window, in the query's order, as of
 * revision `rev`; or, with `refused`, why the server dropped the query instead.
 */
export type QueryResultMessage =
	| { type: typeof MessageType.QUERY_RESULT; id: number; entries: QueryEntry[]; rev: number }
	| { type: typeof MessageType.QUERY_RESULT; id: number; refused: { code: string; message: string } };

/**
 * Several paths below `path` written at once: `node` (anchored at `path`, like SET's) merges what
 * is set, and `deleted` names the paths removed (relative to `path`). The server applies it as one
 * change: the deletes, then the node, with one revision, or nothing at all.
 */
export type UpdateMessage = { type: typeof MessageType.UPDATE; seq: number; path: string; node?: NodeDiff; deleted: string[] };

/**
 * A compare-and-set at `path`: if the path still holds `expected` (its plain value, `null` when
 * absent), its value becomes `node` (anchored at `path`; replaced, not merged), or is deleted when
 * there is no node. Otherwise REJECT `CONFLICT` with the value it holds in `details.value`.
 */
export type TransactionMessage = { type: typeof MessageType.TRANSACTION; seq: number; path: string; expected: unknown; node?: NodeDiff };

/**
 * One operation of `ref.onDisconnect()`: a write the server keeps for this connection and applies
 * when the connection ends (`set`, `update` and `delete`, shaped like SET, UPDATE and DELETE), or
 * `cancel`, which drops the connection's kept writes at `path` and below it.
 */
export type DisconnectOp =
	| { op: 'set'; path: string; node: NodeDiff }
	| { op: 'update'; path: string; node?: NodeDiff; deleted: string[] }
	| { op: 'delete'; path: string }
	| { op: 'cancel'; path: string };

/** A `DisconnectOp` numbered like a write: answered with ACK once registered, or REJECT. */
export type OnDisconnectMessage = { type: typeof MessageType.ON_DISCONNECT; seq: number } & DisconnectOp;

/**
 * A write was applied. `rev` (optional): the data holds the write as of that revision, and every
 * value subscription of the client that the write reaches is, or will be told by a DATA, as of
 * that revision at least; a client showing the write before the server answered keeps showing it
 * until its subscriptions reached `rev` (see docs/client.md, optimistic writes). `value`: what a
 * transaction committed at its path.
 */
export type AckMessage = { type: typeof MessageType.ACK; seq: number; rev?: number; value?: unknown };

export type ServerMessage =
	/**
	 * `combine`: the server lets the client send writes to one path that waited behind its window
	 * of unanswered writes as one (nothing decides writes one by one there: no write hook, no shared log,
	 * and subscribers get changes per interval). See the client's outbox.
	 */
	| { type: typeof MessageType.WELCOME; protocol: number; id: string; maxFrameBytes?: number; db?: string; combine?: true }
	| AckMessage
	| { type: typeof MessageType.REJECT; seq: number; code: string; message: string; details?: unknown }
	| { type: typeof MessageType.SNAPSHOT; path: string; node: NodeDiff | null; id: number; rev: number; more?: true }
	| { type: typeof MessageType.SNAPSHOT_PART; id: number; node: NodeDiff }
	| { type: typeof MessageType.SNAPSHOT_END; id: number }
	| { type: typeof MessageType.SNAPSHOT_ABORT; path: string; code: string; message: string }
	| { type: typeof MessageType.DATA; id: number; ops: DataOp[]; rev: number; joined?: number[] }
	| { type: typeof MessageType.DELTA; path: string; id: number; ops: DataOp[]; rev: number }
	| { type: typeof MessageType.KEYS; path: string; reset: boolean; added: string[]; removed: string[] }
	| { type: typeof MessageType.KEYS_SNAPSHOT; path: string; keys: string[] }
	| { type: typeof MessageType.PING; payload: Record<string, unknown> }
	| { type: typeof MessageType.GOODBYE; goodbye: GoodbyeMessage }
	/** An error for this client; `path` names the subscription the server refused, when it is one. */
	| { type: typeof MessageType.ERROR; code: string; message: string; path?: string }
	| { type: typeof MessageType.MESSAGE; data: unknown }
	| { type: typeof MessageType.STATS; stats: ConnectionStats }
	| QueryResultMessage
	| { type: typeof MessageType.QUERY_CHANGES; id: number; changes: QueryChange[]; rev: number };

/** Encodes one message as MessagePack. Frames are concatenations of these. */
export function encodeMessage(message: ClientMessage | ServerMessage): Uint8Array {
	return pack(clientTuple(message as ClientMessage) ?? serverTuple(message as ServerMessage));
}

/** `encodeMessage` for a client's own messages: a client's bundle then holds no server encoding. */
export function encodeClientMessage(message: ClientMessage): Uint8Array {
	return pack(clientTuple(message)!);
}

/** Encodes several messages into one frame. */
export function encodeFrame(messages: readonly (ClientMessage | ServerMessage)[]): Uint8Array {
	if (messages.length === 1) return encodeMessage(messages[0]!);
	return concatBytes(messages.map(encodeMessage));
}

/** Joins encoded messages into one frame. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
	if (parts.length === 1) return parts[0]!;
	let length = 0;
	for (const part of parts) length += part.byteLength;
	const frame = new Uint8Array(length);
	let offset = 0;
	for (const part of parts) {
		frame.set(part, offset);
		offset += part.byteLength;
	}
	return frame;
}

/** A client message as its tuple; undefined for a server message. */
function clientTuple(message: ClientMessage): unknown[] | undefined {
	switch (message.type) {
		case MessageType.HELLO:
			return [message.type, message.protocol, message.session, message.acked, message.info];
		case MessageType.SET:
			return [message.type, message.seq, message.path, message.node];
		case MessageType.DELETE:
			return [message.type, message.seq, message.path];
		case MessageType.UPDATE:
			return [message.type, message.seq, message.path, message.node ?? null, message.deleted];
		case MessageType.TRANSACTION:
			return [message.type, message.seq, message.path, message.expected, message.node ?? null];
		case MessageType.ON_DISCONNECT:
			if (message.op === 'set') return [message.type, message.seq, message.op, message.path, message.node];
			if (message.op === 'update') return [message.type, message.seq, message.op, message.path, message.node ?? null, message.deleted];
			return [message.type, message.seq, message.op, message.path];
		case MessageType.SUBSCRIBE:
			return message.since === undefined ? [message.type, message.path] : [message.type, message.path, message.since];
		case MessageType.UNSUBSCRIBE:
		case MessageType.SUBSCRIBE_KEYS:
		case MessageType.UNSUBSCRIBE_KEYS:
			return [message.type, message.path];
		case MessageType.PONG:
			return [message.type, message.payload];
		case MessageType.ROUTE:
			return [message.type, message.route];
		case MessageType.SUBSCRIBE_STATS:
		case MessageType.UNSUBSCRIBE_STATS:
			return [message.type];
		case MessageType.QUERY_SUBSCRIBE:
			return message.keys === true ? [message.type, message.id, message.path, message.query, true] : [message.type, message.id, message.path, message.query];
		case MessageType.QUERY_UNSUBSCRIBE:
			return [message.type, message.id];
		default:
			return undefined;
	}
}

/** A server message as its tuple. */
function serverTuple(message: ServerMessage): unknown[] {
	switch (message.type) {
		case MessageType.PING:
			return [message.type, message.payload];
		case MessageType.QUERY_RESULT:
			if ('refused' in message) return [message.type, message.id, null, message.refused.code, message.refused.message];
			return [message.type, message.id, message.entries.map((entry) => [entry.key, compactNode(entry.node)]), message.rev];
		case MessageType.QUERY_CHANGES:
			return [message.type, message.id, message.changes.map((change) => (change.node === undefined ? change.key : [change.key, compactNode(change.node)])), message.rev];
		case MessageType.MESSAGE:
			return [message.type, message.data];
		case MessageType.STATS:
			return [message.type, message.stats];
		case MessageType.WELCOME: {
			const tuple: unknown[] = [message.type, message.protocol, message.id];
			if (message.maxFrameBytes !== undefined || message.db !== undefined || message.combine) tuple.push(message.maxFrameBytes ?? null);
			if (message.db !== undefined || message.combine) tuple.push(message.db ?? null);
			if (message.combine) tuple.push(1);
			return tuple;
		}
		case MessageType.ACK:
			if ('value' in message) return [message.type, message.seq, message.rev ?? null, message.value ?? null];
			return message.rev === undefined ? [message.type, message.seq] : [message.type, message.seq, message.rev];
		case MessageType.REJECT:
			return message.details === undefined
				? [message.type, message.seq, message.code, message.message]
				: [message.type, message.seq, message.code, message.message, message.details];
		case MessageType.SNAPSHOT: {
			const tuple: unknown[] = [message.type, message.path, message.node === null ? null : compactNode(message.node), message.id, message.rev];
			if (message.more === true) tuple.push(true);
			return tuple;
		}
		case MessageType.SNAPSHOT_PART:
			return [message.type, message.id, compactNode(message.node)];
		case MessageType.SNAPSHOT_END:
			return [message.type, message.id];
		case MessageType.SNAPSHOT_ABORT:
			return [message.type, message.path, message.code, message.message];
		case MessageType.DATA:
			return message.joined === undefined
				? [message.type, message.id, compactOps(message.ops), message.rev]
				: [message.type, message.id, compactOps(message.ops), message.rev, message.joined];
		case MessageType.DELTA:
			return [message.type, message.path, message.id, compactOps(message.ops), message.rev];
		case MessageType.KEYS:
			return [message.type, message.path, message.reset, message.added, message.removed];
		case MessageType.KEYS_SNAPSHOT:
			return [message.type, message.path, message.keys];
		case MessageType.GOODBYE:
			return [message.type, message.goodbye];
		case MessageType.ERROR:
			return message.path === undefined ? [message.type, message.code, message.message] : [message.type, message.code, message.message, message.path];
	}
}

/**
 * Splits a frame into raw messages.
 *
 * @throws SocketDBError `INVALID_FRAME` when the bytes are not MessagePack.
 */
export function decodeFrame(frame: Uint8Array): unknown[] {
	if (frame.byteLength === 0) throw new SocketDBError('INVALID_FRAME', 'empty frame');
	try {
		return unpackMultiple(frame);
	} catch (error) {
		throw new SocketDBError('INVALID_FRAME', `frame is not valid MessagePack: ${(error as Error).message}`);
	}
}

/**
 * Nodes from server to client travel in a compact form when nothing in them carries meta:
 * `[data]`, the plain data, instead of `{ value: { key: { value: ... } } }`. Plain data maps
 * to exactly one node diff (objects hold children, everything else is a leaf), so nothing
 * is lost; a diff with meta anywhere keeps the node form.
 */
function compactNode(node: NodeDiff): NodeDiff | [unknown] {
	return hasMeta(node) || node.value === undefined ? node : [plainOf(node)];
}

function compactOps(ops: readonly DataOp[]): unknown[] {
	return ops.map((op) => (typeof op === 'string' ? op : compactNode(op)));
}

function hasMeta(node: NodeDiff): boolean {
	if (node.meta !== undefined) return true;
	if (!isObject(node.value)) return false;
	for (const key in node.value) if (hasMeta(node.value[key] as NodeDiff)) return true;
	return false;
}

function plainOf(node: NodeDiff): unknown {
	if (!isObject(node.value)) return node.value;
	const data: Record<string, unknown> = {};
	for (const key in node.value) data[key] = plainOf(node.value[key] as NodeDiff);
	return data;
}
