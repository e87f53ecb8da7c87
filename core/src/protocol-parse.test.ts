import { describe, expect, test } from 'vitest';
import { SocketDBError } from './errors';
import { MessageType as M } from './protocol';
import { parseClientMessage, parseServerMessage } from './protocol-parse';

/** What a parser says of `raw`: the message, or the refusal's code and text. */
function parsed(parse: (raw: unknown) => unknown, raw: unknown): unknown {
	try {
		return parse(raw);
	} catch (error) {
		if (!(error instanceof SocketDBError)) throw error;
		return { refused: error.code, message: error.message };
	}
}

const refused = (message: string) => ({ refused: 'INVALID_MESSAGE', message });

// The text is what the sender of a malformed message is told: each case pins it.
describe('a client message of the wrong shape is refused with INVALID_MESSAGE, saying what is wrong', () => {
	const cases: [string, unknown, string][] = [
		['not an array', 'hello', 'a message must be a non-empty array'],
		['an empty array', [], 'a message must be a non-empty array'],
		['an unknown type', [99], 'unknown message type 99'],
		['a type that is not a number', ['set'], 'unknown message type "set"'],
		['hello without a protocol', [M.HELLO, '1'], 'hello must carry a protocol version'],
		['hello without a session', [M.HELLO, 1, 5], 'session id must be a string'],
		['hello with a negative acknowledgement', [M.HELLO, 1, 's', -1], 'sequence number must be a non-negative integer'],
		['hello with a fractional acknowledgement', [M.HELLO, 1, 's', 1.5], 'sequence number must be a non-negative integer'],
		['hello with info that is not a map', [M.HELLO, 1, 's', 0, 'info'], 'client info must be a map'],
		['set without a node', [M.SET, 1, 'a', 'x'], 'set must carry a node'],
		['set without a sequence number', [M.SET, 'one', 'a', {}], 'sequence number must be a non-negative integer'],
		['set without a path', [M.SET, 1, 2, {}], 'path must be a string'],
		['delete without a path', [M.DELETE, 1], 'path must be a string'],
		['update with a node that is not a map', [M.UPDATE, 1, 'a', 'x', []], 'update must carry a node or nil'],
		['update without its deleted paths', [M.UPDATE, 1, 'a', null], 'update must carry a list of deleted paths'],
		['update with a deleted path that is not a string', [M.UPDATE, 1, 'a', null, ['b', 1]], 'update must carry a list of deleted paths'],
		['a transaction with a node that is not a map', [M.TRANSACTION, 1, 'a', 0, 'x'], 'a transaction must carry a node or nil'],
		['a transaction without the value it expects', [M.TRANSACTION, 1, 'a'], 'a transaction must carry the value it expects'],
		['an onDisconnect set without a node', [M.ON_DISCONNECT, 1, 'set', 'a', 'x'], 'an onDisconnect set must carry a node'],
		['an onDisconnect update with a node that is not a map', [M.ON_DISCONNECT, 1, 'update', 'a', 'x', []], 'an onDisconnect update must carry a node or nil'],
		['an onDisconnect update without its deleted paths', [M.ON_DISCONNECT, 1, 'update', 'a', null, [1]], 'an onDisconnect update must carry a list of deleted paths'],
		['an unknown onDisconnect operation', [M.ON_DISCONNECT, 1, 'jump', 'a'], 'unknown onDisconnect operation "jump"; it is one of set, update, delete, cancel'],
		['an onDisconnect without a path', [M.ON_DISCONNECT, 1, 'delete', 5], 'path must be a string'],
		['a subscription without a path', [M.SUBSCRIBE, 5], 'path must be a string'],
		['a subscription with a negative revision', [M.SUBSCRIBE, 'a', -1], 'revision must be a non-negative integer'],
		['an unsubscription without a path', [M.UNSUBSCRIBE], 'path must be a string'],
		['a pong whose payload is not a map', [M.PONG, 'x'], 'heartbeat payload must be a map'],
		['a route that is not a string', [M.ROUTE, 5], 'route must be a string'],
		['a query with a negative id', [M.QUERY_SUBSCRIBE, -1, 'a', { orderBy: 'key' }], 'query id must be a non-negative integer'],
		['a query that asks for keys with anything but true', [M.QUERY_SUBSCRIBE, 1, 'a', { orderBy: 'key' }, 'yes'], 'a query asks for its keys only with true, or says nothing'],
		['a query unsubscription without an id', [M.QUERY_UNSUBSCRIBE, 'x'], 'query id must be a non-negative integer'],
	];
	test.each(cases)('%s', (_, raw, message) => {
		expect(parsed(parseClientMessage, raw)).toEqual(refused(message));
	});
});

describe('client messages of the right shape', () => {
	test('hello: acknowledged 0 when left out; only string version and route are kept', () => {
		expect(parseClientMessage([M.HELLO, 1, 's'])).toEqual({ type: M.HELLO, protocol: 1, session: 's', acked: 0, info: {} });
		expect(parseClientMessage([M.HELLO, 1, 's', 3, { version: '2', route: 5, other: 'x' }])).toEqual({ type: M.HELLO, protocol: 1, session: 's', acked: 3, info: { version: '2' } });
		expect(parseClientMessage([M.HELLO, 1, 's', 3, { route: '/home' }])).toEqual({ type: M.HELLO, protocol: 1, session: 's', acked: 3, info: { route: '/home' } });
	});

	test('update and transaction: a node only when there is one', () => {
		expect(parseClientMessage([M.UPDATE, 1, 'a', null, []])).toEqual({ type: M.UPDATE, seq: 1, path: 'a', deleted: [] });
		expect(parseClientMessage([M.UPDATE, 1, 'a', { value: 1 }, ['b']])).toEqual({ type: M.UPDATE, seq: 1, path: 'a', deleted: ['b'], node: { value: 1 } });
		expect(parseClientMessage([M.TRANSACTION, 1, 'a', null])).toEqual({ type: M.TRANSACTION, seq: 1, path: 'a', expected: null });
		expect(parseClientMessage([M.TRANSACTION, 1, 'a', 2, { value: 3 }])).toEqual({ type: M.TRANSACTION, seq: 1, path: 'a', expected: 2, node: { value: 3 } });
	});

	test('onDisconnect: each operation with its parts', () => {
		expect(parseClientMessage([M.ON_DISCONNECT, 1, 'set', 'a', { value: 1 }])).toEqual({ type: M.ON_DISCONNECT, seq: 1, op: 'set', path: 'a', node: { value: 1 } });
		expect(parseClientMessage([M.ON_DISCONNECT, 2, 'update', 'a', null, ['b']])).toEqual({ type: M.ON_DISCONNECT, seq: 2, op: 'update', path: 'a', deleted: ['b'] });
		expect(parseClientMessage([M.ON_DISCONNECT, 3, 'update', 'a', { value: 1 }, []])).toEqual({ type: M.ON_DISCONNECT, seq: 3, op: 'update', path: 'a', node: { value: 1 }, deleted: [] });
		expect(parseClientMessage([M.ON_DISCONNECT, 4, 'cancel', 'a'])).toEqual({ type: M.ON_DISCONNECT, seq: 4, op: 'cancel', path: 'a' });
	});

	test('subscribe with and without a revision; pong without a payload; stats and query unsubscription', () => {
		expect(parseClientMessage([M.SUBSCRIBE, 'a', null])).toEqual({ type: M.SUBSCRIBE, path: 'a' });
		expect(parseClientMessage([M.SUBSCRIBE, 'a', 7])).toEqual({ type: M.SUBSCRIBE, path: 'a', since: 7 });
		expect(parseClientMessage([M.PONG])).toEqual({ type: M.PONG, payload: {} });
		expect(parseClientMessage([M.SUBSCRIBE_STATS, 'ignored'])).toEqual({ type: M.SUBSCRIBE_STATS });
		expect(parseClientMessage([M.QUERY_UNSUBSCRIBE, 4])).toEqual({ type: M.QUERY_UNSUBSCRIBE, id: 4 });
		expect(parseClientMessage([M.QUERY_SUBSCRIBE, 1, 'a', { orderBy: 'key' }, true])).toMatchObject({ id: 1, path: 'a', keys: true });
		expect(parseClientMessage([M.QUERY_SUBSCRIBE, 1, 'a', { orderBy: 'key' }])).not.toHaveProperty('keys');
	});
});

describe('a server message of the wrong shape is refused with INVALID_MESSAGE, saying what is wrong', () => {
	const cases: [string, unknown, string][] = [
		['an unknown type', [99], 'unknown message type 99'],
		['welcome without a protocol', [M.WELCOME, '1'], 'welcome must carry a protocol version'],
		['welcome with a frame limit of 0', [M.WELCOME, 1, 'id', 0], 'welcome must carry a positive frame size limit'],
		['welcome with a frame limit that is not a number', [M.WELCOME, 1, 'id', '1000'], 'welcome must carry a positive frame size limit'],
		['welcome without a client id', [M.WELCOME, 1, 5], 'client id must be a string'],
		['welcome with a database id that is not a string', [M.WELCOME, 1, 'id', null, 5], 'database id must be a string'],
		['an ACK with a negative revision', [M.ACK, 1, -1], 'revision must be a non-negative integer'],
		['a REJECT without a code', [M.REJECT, 1, 5, 'text'], 'error code must be a string'],
		['a REJECT without a message', [M.REJECT, 1, 'VETOED', 5], 'error message must be a string'],
		['a snapshot whose node is not a node', [M.SNAPSHOT, 'a', 'x', 1, 0], 'snapshot must carry a node or nil'],
		['a snapshot without a revision', [M.SNAPSHOT, 'a', null, 1], 'revision must be a non-negative integer'],
		['a snapshot part without a node', [M.SNAPSHOT_PART, 1, 'x'], 'a snapshot part must carry a node'],
		['a snapshot end without an id', [M.SNAPSHOT_END, 'x'], 'sequence number must be a non-negative integer'],
		['a snapshot abort without a message', [M.SNAPSHOT_ABORT, 'a', 'PAYLOAD_TOO_LARGE', 5], 'error message must be a string'],
		['data without a list of changes', [M.DATA, 1, 'x', 0], 'data must carry a list of changes'],
		['data with a change that is neither a path nor a node', [M.DATA, 1, [5], 0], 'a node must be a map or [data]'],
		['data whose joined changes are not a list', [M.DATA, 1, [], 0, 'x'], 'data must list the changes joined to the one before as indexes'],
		['data with a joined change that is not an index', [M.DATA, 1, [], 0, [-1]], 'a joined change must be a non-negative integer'],
		['a delta without a list of changes', [M.DELTA, 'a', 1, 'x', 0], 'a delta must carry a list of changes'],
		['keys without lists', [M.KEYS, 'a', true, 'x', []], 'keys must carry lists of keys'],
		['keys without removed keys', [M.KEYS, 'a', true, []], 'keys must carry lists of keys'],
		['a keys snapshot without a list', [M.KEYS_SNAPSHOT, 'a', 'x'], 'a keys snapshot must carry a list of keys'],
		['a ping whose payload is not a map', [M.PING, 'x'], 'keep-alive payload must be a map'],
		['a goodbye that is not a map', [M.GOODBYE, 5], 'goodbye must be a map'],
		['an error with a path that is not a string', [M.ERROR, 'FORBIDDEN', 'no', 5], 'refused path must be a string'],
		['stats without a total', [M.STATS, { versions: {}, routes: {} }], 'stats must carry a total, versions and routes'],
		['stats without versions', [M.STATS, { total: 1, routes: {} }], 'stats must carry a total, versions and routes'],
		['stats without routes', [M.STATS, { total: 1, versions: {} }], 'stats must carry a total, versions and routes'],
		['stats whose queries are not a map', [M.STATS, { total: 1, versions: {}, routes: {}, queries: 5 }], "the stats' queries must be a map"],
		['a query result that is neither entries nor nil', [M.QUERY_RESULT, 1, 'x', 0], 'a query result must carry a list of entries or nil'],
		['a query entry that is not a pair', [M.QUERY_RESULT, 1, [['k']], 0], 'a query entry must be [key, node]'],
		['a query entry whose key is not a string', [M.QUERY_RESULT, 1, [[5, { value: 1 }]], 0], 'a query entry key must be a string'],
		['a query entry without a node', [M.QUERY_RESULT, 1, [['k', 'x']], 0], 'a query entry must carry a node'],
		['a refused query without a message', [M.QUERY_RESULT, 1, null, 'INVALID_QUERY', 5], 'error message must be a string'],
		['query changes that are not a list', [M.QUERY_CHANGES, 1, 'x', 0], 'query changes must carry a list of changes'],
	];
	test.each(cases)('%s', (_, raw, message) => {
		expect(parsed(parseServerMessage, raw)).toEqual(refused(message));
	});
});

describe('server messages of the right shape', () => {
	test('welcome: the frame limit, database id and combining only when sent', () => {
		expect(parseServerMessage([M.WELCOME, 1, 'id'])).toEqual({ type: M.WELCOME, protocol: 1, id: 'id' });
		expect(parseServerMessage([M.WELCOME, 1, 'id', null, null, 0])).toEqual({ type: M.WELCOME, protocol: 1, id: 'id' });
		expect(parseServerMessage([M.WELCOME, 1, 'id', 100, 'db', 1])).toEqual({ type: M.WELCOME, protocol: 1, id: 'id', maxFrameBytes: 100, db: 'db', combine: true });
	});

	test('ACK: a revision and a committed value only when sent (a value may be nil)', () => {
		expect(parseServerMessage([M.ACK, 1])).toEqual({ type: M.ACK, seq: 1 });
		expect(parseServerMessage([M.ACK, 1, 2])).toEqual({ type: M.ACK, seq: 1, rev: 2 });
		expect(parseServerMessage([M.ACK, 1, 2, null])).toEqual({ type: M.ACK, seq: 1, rev: 2, value: null });
		expect(parseServerMessage([M.REJECT, 1, 'CONFLICT', 'changed', { value: 3 }])).toEqual({ type: M.REJECT, seq: 1, code: 'CONFLICT', message: 'changed', details: { value: 3 } });
	});

	test('snapshots, parts and data: nodes in their plain form are expanded', () => {
		expect(parseServerMessage([M.SNAPSHOT, 'a', [5], 1, 2])).toEqual({ type: M.SNAPSHOT, path: 'a', node: { value: 5 }, id: 1, rev: 2 });
		expect(parseServerMessage([M.SNAPSHOT, 'a', null, 1, 2, true])).toEqual({ type: M.SNAPSHOT, path: 'a', node: null, id: 1, rev: 2, more: true });
		expect(parseServerMessage([M.SNAPSHOT_PART, 1, [{ b: 1 }]])).toEqual({ type: M.SNAPSHOT_PART, id: 1, node: { value: { b: { value: 1 } } } });
		expect(parseServerMessage([M.DATA, 1, ['a/b', [2]], 3])).toEqual({ type: M.DATA, id: 1, ops: ['a/b', { value: 2 }], rev: 3 });
		expect(parseServerMessage([M.DATA, 1, [], 3, [0, 2]])).toEqual({ type: M.DATA, id: 1, ops: [], rev: 3, joined: [0, 2] });
		expect(parseServerMessage([M.KEYS, 'a', 1, ['x'], []])).toEqual({ type: M.KEYS, path: 'a', reset: false, added: ['x'], removed: [] });
	});

	test('errors, stats and queries', () => {
		expect(parseServerMessage([M.ERROR, 'FORBIDDEN', 'no'])).toEqual({ type: M.ERROR, code: 'FORBIDDEN', message: 'no' });
		expect(parseServerMessage([M.ERROR, 'FORBIDDEN', 'no', 'a'])).toEqual({ type: M.ERROR, code: 'FORBIDDEN', message: 'no', path: 'a' });
		expect(parseServerMessage([M.STATS, { total: 1, versions: {}, routes: {}, queries: {} }])).toEqual({ type: M.STATS, stats: { total: 1, versions: {}, routes: {}, queries: {} } });
		expect(parseServerMessage([M.QUERY_RESULT, 1, null, 'INVALID_QUERY', 'bad'])).toEqual({ type: M.QUERY_RESULT, id: 1, refused: { code: 'INVALID_QUERY', message: 'bad' } });
		expect(parseServerMessage([M.QUERY_RESULT, 1, [['k', [3]]], 4])).toEqual({ type: M.QUERY_RESULT, id: 1, entries: [{ key: 'k', node: { value: 3 } }], rev: 4 });
		expect(parseServerMessage([M.QUERY_CHANGES, 1, ['gone', ['k', { value: 1 }]], 2])).toEqual({ type: M.QUERY_CHANGES, id: 1, changes: [{ key: 'gone' }, { key: 'k', node: { value: 1 } }], rev: 2 });
	});
});
