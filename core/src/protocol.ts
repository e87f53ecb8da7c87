import { pack, unpackMultiple } from '#msgpack';
import { SocketDBError } from './errors';
import type { GoodbyeMessage } from './goodbye';
import { isObject, type Json } from './json';
import { nodeify, type NodeDiff } from './node';

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
} as const;

/** What a client says about itself in its first message: the app's build version and its current route. */
export type ClientInfo = { version?: string; route?: string };

/** Connected clients, counted by the version and the route they reported. */
export type ConnectionStats = { total: number; versions: Record<string, number>; routes: Record<string, number> };

/**
 * DATA messages name their path by a number the server assigns per subscribed path (told
 * in the SNAPSHOT), instead of repeating the path string in every update.
 *
 * One change inside a DATA message: a node diff merged at the subscribed path,
 * or a string naming a path (relative to the subscribed path, `''` for itself) that was deleted.
 */
export type DataOp = NodeDiff | string;

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
	| { type: typeof MessageType.SUBSCRIBE; path: string; since?: number }
	| { type: typeof MessageType.UNSUBSCRIBE; path: string }
	| { type: typeof MessageType.SUBSCRIBE_KEYS; path: string }
	| { type: typeof MessageType.UNSUBSCRIBE_KEYS; path: string }
	| { type: typeof MessageType.PONG; payload: Record<string, unknown> }
	| { type: typeof MessageType.ROUTE; route: string }
	| { type: typeof MessageType.SUBSCRIBE_STATS }
	| { type: typeof MessageType.UNSUBSCRIBE_STATS };

export type ServerMessage =
	| { type: typeof MessageType.WELCOME; protocol: number; id: string; maxFrameBytes?: number; db?: string }
	| { type: typeof MessageType.ACK; seq: number }
	| { type: typeof MessageType.REJECT; seq: number; code: string; message: string; details?: unknown }
	| { type: typeof MessageType.SNAPSHOT; path: string; node: NodeDiff | null; id: number; rev: number; more?: true }
	| { type: typeof MessageType.SNAPSHOT_PART; id: number; node: NodeDiff }
	| { type: typeof MessageType.SNAPSHOT_END; id: number }
	| { type: typeof MessageType.SNAPSHOT_ABORT; path: string; code: string; message: string }
	| { type: typeof MessageType.DATA; id: number; ops: DataOp[]; rev: number }
	| { type: typeof MessageType.DELTA; path: string; id: number; ops: DataOp[]; rev: number }
	| { type: typeof MessageType.KEYS; path: string; reset: boolean; added: string[]; removed: string[] }
	| { type: typeof MessageType.KEYS_SNAPSHOT; path: string; keys: string[] }
	| { type: typeof MessageType.PING; payload: Record<string, unknown> }
	| { type: typeof MessageType.GOODBYE; goodbye: GoodbyeMessage }
	| { type: typeof MessageType.ERROR; code: string; message: string }
	| { type: typeof MessageType.MESSAGE; data: unknown }
	| { type: typeof MessageType.STATS; stats: ConnectionStats };

/** Encodes one message as MessagePack. Frames are concatenations of these. */
export function encodeMessage(message: ClientMessage | ServerMessage): Uint8Array {
	return pack(toTuple(message));
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

function toTuple(message: ClientMessage | ServerMessage): unknown[] {
	switch (message.type) {
		case MessageType.HELLO:
			return [message.type, message.protocol, message.session, message.acked, message.info];
		case MessageType.SET:
			return [message.type, message.seq, message.path, message.node];
		case MessageType.DELETE:
			return [message.type, message.seq, message.path];
		case MessageType.SUBSCRIBE:
			return message.since === undefined ? [message.type, message.path] : [message.type, message.path, message.since];
		case MessageType.UNSUBSCRIBE:
		case MessageType.SUBSCRIBE_KEYS:
		case MessageType.UNSUBSCRIBE_KEYS:
			return [message.type, message.path];
		case MessageType.PONG:
		case MessageType.PING:
			return [message.type, message.payload];
		case MessageType.ROUTE:
			return [message.type, message.route];
		case MessageType.SUBSCRIBE_STATS:
		case MessageType.UNSUBSCRIBE_STATS:
			return [message.type];
		case MessageType.MESSAGE:
			return [message.type, message.data];
		case MessageType.STATS:
			return [message.type, message.stats];
		case MessageType.WELCOME: {
			const tuple: unknown[] = [message.type, message.protocol, message.id];
			if (message.maxFrameBytes !== undefined || message.db !== undefined) tuple.push(message.maxFrameBytes ?? null);
			if (message.db !== undefined) tuple.push(message.db);
			return tuple;
		}
		case MessageType.ACK:
			return [message.type, message.seq];
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
			return [message.type, message.id, compactOps(message.ops), message.rev];
		case MessageType.DELTA:
			return [message.type, message.path, message.id, compactOps(message.ops), message.rev];
		case MessageType.KEYS:
			return [message.type, message.path, message.reset, message.added, message.removed];
		case MessageType.KEYS_SNAPSHOT:
			return [message.type, message.path, message.keys];
		case MessageType.GOODBYE:
			return [message.type, message.goodbye];
		case MessageType.ERROR:
			return [message.type, message.code, message.message];
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
		default:
			return invalid(`unknown message type ${JSON.stringify(type)}`);
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
			return welcome;
		}
		case MessageType.ACK:
			return { type, seq: expectSeq(tuple[1]) };
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
		case MessageType.DATA:
			return { type, id: expectSeq(tuple[1]), ops: expectOps(tuple[2], 'data'), rev: expectSeq(tuple[3], 'revision') };
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
		case MessageType.ERROR:
			return { type, code: expectString(tuple[1], 'error code'), message: expectString(tuple[2], 'error message') };
		case MessageType.MESSAGE:
			return { type, data: tuple[1] };
		case MessageType.STATS: {
			const stats = expectRecord(tuple[1], 'stats');
			if (typeof stats['total'] !== 'number' || !isObject(stats['versions']) || !isObject(stats['routes'])) invalid('stats must carry a total, versions and routes');
			return { type, stats: stats as ConnectionStats };
		}
		default:
			return invalid(`unknown message type ${JSON.stringify(type)}`);
	}
}
