import { describe, expect, test } from 'vitest';
import { SocketDBError } from './errors';
import { concatBytes, decodeFrame, encodeFrame, encodeMessage, MessageType, PROTOCOL_VERSION } from './protocol';
import { parseClientMessage, parseServerMessage } from './protocol-parse';
import type { ClientMessage, ServerMessage } from './protocol';
import { createRecord } from './json';
import type { NodeDiff } from './node';
import { validateNodeDiff } from './validate';
import { randomNumbers as random } from '../../test/helpers/random';


function errorOf(run: () => unknown): unknown {
	try {
		run();
	} catch (error) {
		return error;
	}
	throw new Error('expected a throw');
}

function expectCode(run: () => unknown, code: string): void {
	const error = errorOf(run);
	expect(error).toBeInstanceOf(SocketDBError);
	expect((error as SocketDBError).code).toBe(code);
}

const node = {
	value: {
		name: { value: 'Ada Lovelace ✓ 日本語 🚀' },
		age: { value: 36 },
		ratio: { value: -0.125 },
		big: { value: 2 ** 40 + 1 },
		negative: { value: -1_000_000 },
		flags: { value: [true, false, null, 1.5, 'x', [1, [2]], { nested: { deep: 'yes' } }] },
		nothing: { value: null },
		empty: { value: '' },
		meta: { value: {}, meta: { updated: 1_700_000_000_000, by: { id: 'u1' }, tags: ['a'] } },
	},
	meta: { root: true },
};

const clientMessages: ClientMessage[] = [
	{ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session: 'session-abc', acked: 41, info: { version: '1.2.3' } },
	{ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session: 's', acked: 0, info: {} },
	{ type: MessageType.SET, seq: 1, path: 'users/1', node },
	{ type: MessageType.SET, seq: 2, path: '', node: { meta: { only: 'meta' } } },
	{ type: MessageType.SET, seq: 3, path: 'a', node: { value: 5 } },
	{ type: MessageType.DELETE, seq: 4, path: 'users/1' },
	{ type: MessageType.DELETE, seq: Number.MAX_SAFE_INTEGER, path: '' },
	{ type: MessageType.UPDATE, seq: 5, path: 'users/1', node, deleted: ['nickname', 'address/zip'] },
	{ type: MessageType.UPDATE, seq: 6, path: '', deleted: ['a'] },
	{ type: MessageType.UPDATE, seq: 7, path: '', node: { value: { a: { value: 1 } } }, deleted: [] },
	{ type: MessageType.TRANSACTION, seq: 8, path: 'counter', expected: 4, node: { value: 5 } },
	{ type: MessageType.TRANSACTION, seq: 9, path: 'doc', expected: { a: [1, 2] } },
	{ type: MessageType.TRANSACTION, seq: 10, path: 'doc', expected: null, node: { value: { at: { sv: 'timestamp' } } } as never },
	{ type: MessageType.ON_DISCONNECT, seq: 8, op: 'set', path: 'status/ada', node: { value: 'offline', meta: { at: 1 } } },
	{ type: MessageType.ON_DISCONNECT, seq: 9, op: 'update', path: 'users/1', node, deleted: ['cursor'] },
	{ type: MessageType.ON_DISCONNECT, seq: 10, op: 'update', path: '', deleted: ['a', 'b/c'] },
	{ type: MessageType.ON_DISCONNECT, seq: 11, op: 'delete', path: 'cursors/ada' },
	{ type: MessageType.ON_DISCONNECT, seq: 12, op: 'cancel', path: '' },
	{ type: MessageType.SUBSCRIBE, path: 'users' },
	{ type: MessageType.SUBSCRIBE, path: '' },
	{ type: MessageType.SUBSCRIBE, path: 'users', since: 41 },
	{ type: MessageType.SUBSCRIBE, path: '', since: 0 },
	{ type: MessageType.UNSUBSCRIBE, path: 'users' },
	{ type: MessageType.SUBSCRIBE_KEYS, path: 'users' },
	{ type: MessageType.UNSUBSCRIBE_KEYS, path: 'users' },
	{ type: MessageType.PONG, payload: { time: 123, nested: { list: [1, 2] } } },
	{ type: MessageType.PONG, payload: {} },
	{ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, session: 's', acked: 0, info: { version: '2.0.0', route: '/users/42' } },
	{ type: MessageType.ROUTE, route: '/settings' },
	{ type: MessageType.SUBSCRIBE_STATS },
	{ type: MessageType.UNSUBSCRIBE_STATS },
	{ type: MessageType.QUERY_SUBSCRIBE, id: 1, path: 'scores', query: { orderBy: { child: 'points' }, startAt: { value: 10, key: 'ada', exclusive: true }, limitToLast: 3 } },
	{ type: MessageType.QUERY_SUBSCRIBE, id: 2, path: '', query: { orderBy: 'key' } },
	{ type: MessageType.QUERY_SUBSCRIBE, id: 3, path: 'a/b', query: { orderBy: 'value', equalTo: { value: null } } },
	{ type: MessageType.QUERY_SUBSCRIBE, id: 4, path: 'a', query: { orderBy: 'key', limitToFirst: 5 }, keys: true },
	{ type: MessageType.QUERY_UNSUBSCRIBE, id: 1 },
];

const serverMessages: ServerMessage[] = [
	{ type: MessageType.WELCOME, protocol: PROTOCOL_VERSION, id: 'client-1' },
	{ type: MessageType.WELCOME, protocol: PROTOCOL_VERSION, id: 'client-1', maxFrameBytes: 1024 },
	{ type: MessageType.WELCOME, protocol: PROTOCOL_VERSION, id: 'client-1', maxFrameBytes: 1024, db: '0d7c6f1e-7d55-4a3e-9b1f-3c2a5e8f9a10' },
	{ type: MessageType.WELCOME, protocol: PROTOCOL_VERSION, id: 'client-1', db: 'cluster-a' },
	{ type: MessageType.WELCOME, protocol: PROTOCOL_VERSION, id: 'client-1', maxFrameBytes: 1024, db: 'd', combine: true },
	{ type: MessageType.WELCOME, protocol: PROTOCOL_VERSION, id: 'client-1', combine: true },
	{ type: MessageType.ACK, seq: 7 },
	{ type: MessageType.ACK, seq: 8, value: { count: 3 } },
	{ type: MessageType.ACK, seq: 9, value: null },
	{ type: MessageType.ACK, seq: 7, rev: 12 },
	{ type: MessageType.ACK, seq: 10, rev: 3, value: 4 },
	{ type: MessageType.REJECT, seq: 8, code: 'VETOED', message: 'no' },
	{ type: MessageType.REJECT, seq: 9, code: 'VETOED', message: 'schema', details: [{ instancePath: '/a', message: 'must be number' }] },
	{ type: MessageType.SNAPSHOT, path: 'users', node, id: 1, rev: 5 },
	{ type: MessageType.SNAPSHOT, path: 'missing', node: null, id: 70000, rev: 5 },
	{ type: MessageType.SNAPSHOT, path: 'big', node, id: 3, rev: 5, more: true },
	{ type: MessageType.SNAPSHOT_PART, id: 3, node },
	{ type: MessageType.SNAPSHOT_PART, id: 3, node: { value: { a: { value: { b: { value: 1 } } }, empty: { value: {} } } } },
	{ type: MessageType.SNAPSHOT_END, id: 3 },
	{ type: MessageType.SNAPSHOT_ABORT, path: '', code: 'PAYLOAD_TOO_LARGE', message: 'the value at "" is too large' },
	{ type: MessageType.DATA, id: 1, ops: [{ value: { a: { value: 1 } } }, 'a', '', { meta: { x: 1 } }, { value: [1, 2] }], rev: 7 },
	{ type: MessageType.DATA, id: 70000, ops: [], rev: 7 },
	{ type: MessageType.DATA, id: 2, ops: ['a', 'b', { value: { c: { value: 1 } } }, 'd'], rev: 9, joined: [1, 2] },
	{ type: MessageType.DELTA, path: 'users', id: 1, ops: [{ value: { a: { value: 1 } } }, 'a/b', '', { meta: { x: 1 } }], rev: 12 },
	{ type: MessageType.DELTA, path: '', id: 70000, ops: [], rev: 0 },
	{ type: MessageType.KEYS, path: 'users', reset: false, added: ['1', '2'], removed: ['3'] },
	{ type: MessageType.KEYS, path: 'users', reset: true, added: [], removed: [] },
	{ type: MessageType.KEYS_SNAPSHOT, path: 'users', keys: ['1', '2', 'ключ'] },
	{ type: MessageType.KEYS_SNAPSHOT, path: '', keys: [] },
	{ type: MessageType.PING, payload: { time: 1 } },
	{ type: MessageType.GOODBYE, goodbye: { reason: 'server-shutdown', message: 'bye' } },
	{ type: MessageType.GOODBYE, goodbye: { reason: 'unspecified' } },
	{ type: MessageType.ERROR, code: 'RATE_LIMITED', message: 'slow down' },
	{ type: MessageType.ERROR, code: 'FORBIDDEN', message: 'subscribing to "a/b" was refused: no', path: 'a/b' },
	{ type: MessageType.MESSAGE, data: { type: 'welcome', list: [1, 'two', null] } },
	{ type: MessageType.MESSAGE, data: 'plain' },
	{ type: MessageType.STATS, stats: { total: 3, versions: { '1.0.0': 2, unknown: 1 }, routes: { '/': 2 }, queries: { "scores: orderByChild('points').limitToLast(3)": 2 } } },
	{ type: MessageType.QUERY_RESULT, id: 1, entries: [{ key: 'ada', node: { value: { points: { value: 12 } } } }, { key: 'bob', node: { value: 'x', meta: { at: 1 } } }], rev: 4 },
	{ type: MessageType.QUERY_RESULT, id: 2, entries: [], rev: 0 },
	{ type: MessageType.QUERY_RESULT, id: 3, refused: { code: 'FORBIDDEN', message: 'no' } },
	{ type: MessageType.QUERY_CHANGES, id: 1, changes: [{ key: 'ada' }, { key: 'cy', node }, { key: 'bob', node: { value: 3 } }], rev: 5 },
	{ type: MessageType.QUERY_CHANGES, id: 70000, changes: [], rev: 5 },
];

describe('round trips', () => {
	test('every message type is covered', () => {
		const covered = new Set([...clientMessages, ...serverMessages].map((message) => message.type));
		expect([...covered].sort((a, b) => a - b)).toEqual(Object.values(MessageType).sort((a, b) => a - b));
	});

	test.each(clientMessages.map((message) => [message.type, message] as const))('client message %i through encodeMessage', (_, message) => {
		const decoded = decodeFrame(encodeMessage(message));
		expect(decoded).toHaveLength(1);
		expect(parseClientMessage(decoded[0])).toEqual(message);
	});

	test.each(serverMessages.map((message) => [message.type, message] as const))('server message %i through encodeMessage', (_, message) => {
		const decoded = decodeFrame(encodeMessage(message));
		expect(decoded).toHaveLength(1);
		expect(parseServerMessage(decoded[0])).toEqual(message);
	});

	test.each([...clientMessages, ...serverMessages].map((message) => [message.type, message] as const))('message %i through encodeFrame', (_, message) => {
		const decoded = decodeFrame(encodeFrame([message]));
		expect(decoded).toHaveLength(1);
		const parsed = message.type < 20 ? parseClientMessage(decoded[0]) : parseServerMessage(decoded[0]);
		expect(parsed).toEqual(message);
	});

	test('a REJECT without details has no details field', () => {
		const parsed = parseServerMessage(decodeFrame(encodeMessage({ type: MessageType.REJECT, seq: 1, code: 'VETOED', message: 'no' }))[0]);
		expect('details' in parsed).toBe(false);
	});

	test('several messages in one frame decode in order', () => {
		const frame = encodeFrame(clientMessages);
		const decoded = decodeFrame(frame);
		expect(decoded.map(parseClientMessage)).toEqual(clientMessages);
	});

	test('several server messages in one frame decode in order', () => {
		const decoded = decodeFrame(encodeFrame(serverMessages));
		expect(decoded.map(parseServerMessage)).toEqual(serverMessages);
	});

	test('a frame is the concatenation of its encoded messages', () => {
		const frame = concatBytes(serverMessages.map(encodeMessage));
		expect(decodeFrame(frame).map(parseServerMessage)).toEqual(serverMessages);
		expect(Array.from(encodeFrame(serverMessages))).toEqual(Array.from(frame));
	});

	test('nodes built from null-prototype records encode like plain objects', () => {
		const children = createRecord<unknown>();
		children['a'] = { value: 1 };
		const message: ServerMessage = { type: MessageType.DATA, id: 3, ops: [{ value: children }], rev: 7 };
		expect(parseServerMessage(decodeFrame(encodeMessage(message))[0])).toEqual({ type: MessageType.DATA, id: 3, ops: [{ value: { a: { value: 1 } } }], rev: 7 });
	});

	test('large messages round-trip', () => {
		const text = 'x'.repeat(200_000);
		const list = Array.from({ length: 70_000 }, (_, i) => i);
		const children: Record<string, { value: number }> = {};
		for (let i = 0; i < 70_000; i++) children[`k${i}`] = { value: i };
		const message: ClientMessage = { type: MessageType.SET, seq: 1, path: 'big', node: { value: { text: { value: text }, list: { value: list }, many: { value: children } } } };
		// Compared as JSON: toEqual on 70,000 keys is slow.
		expect(JSON.stringify(parseClientMessage(decodeFrame(encodeMessage(message))[0]))).toBe(JSON.stringify(message));
	});

	test('strings of every length class round-trip', () => {
		for (const length of [0, 1, 31, 32, 255, 256, 65_535, 65_536]) {
			const path = 'p'.repeat(length);
			expect(parseClientMessage(decodeFrame(encodeMessage({ type: MessageType.SUBSCRIBE, path }))[0])).toEqual({ type: MessageType.SUBSCRIBE, path });
		}
	});

	test('numbers of every size class round-trip', () => {
		const numbers = [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -1, -32, -33, -128, -129, -32_768, -32_769, -(2 ** 31), -(2 ** 31) - 1, Number.MIN_SAFE_INTEGER, 0.5, -1.25, 1e300, 3.141592653589793];
		const message: ServerMessage = { type: MessageType.PING, payload: { numbers } };
		expect(parseServerMessage(decodeFrame(encodeMessage(message))[0])).toEqual(message);
	});
});

describe('hostile keys', () => {
	test('a "__proto__" key arrives as an own key, so validation refuses it', () => {
		const node = JSON.parse('{"value": {"__proto__": {"value": {"polluted": {"value": true}}}, "ok": {"value": 1}}}') as NodeDiff;
		const parsed = parseClientMessage(decodeFrame(encodeMessage({ type: MessageType.SET, seq: 1, path: 'a', node }))[0]);
		if (parsed.type !== MessageType.SET) expect.unreachable();
		const value = parsed.node.value as Record<string, unknown>;
		expect(Object.keys(value)).toEqual(['__proto__', 'ok']);
		expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
		expect(() => validateNodeDiff(parsed.node, { maxDepth: 10, maxKeys: 100 })).toThrow(SocketDBError);
	});

	test('a "__proto__" key inside a leaf, in meta and in a heartbeat payload stays an own key', () => {
		const hostile = JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>;
		const parsed = parseClientMessage(decodeFrame(encodeMessage({ type: MessageType.SET, seq: 1, path: 'a', node: { value: [hostile], meta: hostile } }))[0]);
		if (parsed.type !== MessageType.SET) expect.unreachable();
		expect(Object.keys((parsed.node.value as Record<string, unknown>[])[0]!)).toEqual(['__proto__']);
		expect(Object.keys(parsed.node.meta!)).toEqual(['__proto__']);
		const pong = parseClientMessage(decodeFrame(encodeMessage({ type: MessageType.PONG, payload: hostile }))[0]);
		if (pong.type !== MessageType.PONG) expect.unreachable();
		expect(Object.keys(pong.payload)).toEqual(['__proto__']);
	});
});

describe('encoded buffers', () => {
	test('a buffer returned by encodeMessage stays intact after many later encodeMessage calls', () => {
		const message: ServerMessage = { type: MessageType.DATA, id: 1, ops: [{ value: { name: { value: 'Ada' } } }], rev: 7 };
		const first = encodeMessage(message);
		const copy = Uint8Array.from(first);
		const frame = encodeFrame([message, message]);
		const frameCopy = Uint8Array.from(frame);
		for (let i = 0; i < 5000; i++) {
			encodeMessage({ type: MessageType.DATA, id: i, ops: [{ value: { n: { value: i }, s: { value: 'y'.repeat(i % 300) } } }], rev: 7 });
			if (i % 500 === 0) encodeMessage({ type: MessageType.PING, payload: { big: 'z'.repeat(100_000 + i) } });
		}
		expect(Array.from(first)).toEqual(Array.from(copy));
		expect(Array.from(frame)).toEqual(Array.from(frameCopy));
		expect(parseServerMessage(decodeFrame(first)[0])).toEqual(message);
	});

	test('many buffers kept at once all stay intact', () => {
		const kept: { bytes: Uint8Array; copy: Uint8Array; seq: number }[] = [];
		for (let seq = 0; seq < 3000; seq++) {
			const bytes = encodeMessage({ type: MessageType.ACK, seq });
			kept.push({ bytes, copy: Uint8Array.from(bytes), seq });
		}
		const damaged = kept.filter(({ bytes, copy, seq }) => bytes.join() !== copy.join() || JSON.stringify(parseServerMessage(decodeFrame(bytes)[0])) !== JSON.stringify({ type: MessageType.ACK, seq }));
		expect(damaged.map(({ seq }) => seq)).toEqual([]);
	});

	test('decoding does not depend on the bytes staying the same', () => {
		const bytes = encodeMessage({ type: MessageType.SNAPSHOT, path: 'a', node: { value: { b: { value: 'c' } } }, id: 2, rev: 5 });
		const decoded = decodeFrame(bytes);
		bytes.fill(0);
		expect(parseServerMessage(decoded[0])).toEqual({ type: MessageType.SNAPSHOT, path: 'a', node: { value: { b: { value: 'c' } } }, id: 2, rev: 5 });
	});
});

describe('decodeFrame refuses bad frames with INVALID_FRAME', () => {
	test('an empty frame', () => {
		expectCode(() => decodeFrame(new Uint8Array(0)), 'INVALID_FRAME');
	});

	test('every truncation of a message', () => {
		for (const message of [...clientMessages, ...serverMessages]) {
			const bytes = encodeMessage(message);
			for (let length = 1; length < bytes.length; length++) {
				const error = errorOf(() => decodeFrame(bytes.subarray(0, length)));
				if (!(error instanceof SocketDBError && error.code === 'INVALID_FRAME')) expect.unreachable(`${message.type} cut at ${length}: ${String(error)}`);
			}
		}
	});

	test('a frame whose last message is truncated', () => {
		const frame = encodeFrame(serverMessages);
		expectCode(() => decodeFrame(frame.slice(0, frame.length - 1)), 'INVALID_FRAME');
	});

	test('headers that announce more data than the frame holds', () => {
		const frames = [
			[0xdd, 0xff, 0xff, 0xff, 0xff, 0x01], // array 32 with 4 billion items
			[0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61], // map 32 with 4 billion entries
			[0xdb, 0xff, 0xff, 0xff, 0xff, 0x61], // str 32 of 4 GB
			[0xc6, 0xff, 0xff, 0xff, 0xff, 0x00], // bin 32 of 4 GB
			[0x94, 0x02, 0x01], // fixarray of 4 with 2 items
			[0xcb, 0x00, 0x00], // float 64 cut short
			[0xa5, 0x61, 0x62], // fixstr of 5 with 2 bytes
		];
		for (const bytes of frames) expectCode(() => decodeFrame(new Uint8Array(bytes)), 'INVALID_FRAME');
	});

	test('the byte 0xc1, which MessagePack never uses', () => {
		expectCode(() => decodeFrame(new Uint8Array([0xc1])), 'INVALID_FRAME');
		expectCode(() => decodeFrame(new Uint8Array([0x92, 0x01, 0xc1])), 'INVALID_FRAME');
		// In a map, in a map inside an array, and as the value of a "__proto__" key.
		expectCode(() => decodeFrame(new Uint8Array([0x81, 0xa1, 0x61, 0xc1])), 'INVALID_FRAME');
		expectCode(() => decodeFrame(new Uint8Array([0x92, 0x01, 0x81, 0xa1, 0x61, 0x91, 0xc1])), 'INVALID_FRAME');
		expectCode(() => decodeFrame(new Uint8Array([0x82, 0xa1, 0x62, 0x01, 0xa9, ...new TextEncoder().encode('__proto__'), 0xc1])), 'INVALID_FRAME');
		// The byte inside a value is no type byte.
		expect(decodeFrame(new Uint8Array([0xcb, 0xc1, 0, 0, 0, 0, 0, 0, 0]))).toEqual([-131072]);
	});

	test('random bytes either decode or fail with INVALID_FRAME, never otherwise', () => {
		const next = random(2024);
		let refused = 0;
		const surprises: unknown[] = [];
		for (let i = 0; i < 1000; i++) {
			const bytes = new Uint8Array(1 + Math.floor(next() * 64));
			for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(next() * 256);
			let decoded: unknown[];
			try {
				decoded = decodeFrame(bytes);
			} catch (error) {
				if (error instanceof SocketDBError && error.code === 'INVALID_FRAME') refused++;
				else surprises.push({ bytes: Array.from(bytes), error });
				continue;
			}
			if (!Array.isArray(decoded)) surprises.push({ bytes: Array.from(bytes), decoded });
			// Whatever decodes is checked by the parsers, which refuse it only with INVALID_MESSAGE.
			for (const raw of decoded) {
				for (const parse of [parseClientMessage, parseServerMessage]) {
					try {
						parse(raw);
					} catch (error) {
						if (!(error instanceof SocketDBError && error.code === 'INVALID_MESSAGE')) surprises.push({ bytes: Array.from(bytes), error });
					}
				}
			}
		}
		expect(surprises).toEqual([]);
		expect(refused).toBeGreaterThan(300);
	});

	test('random bytes after a valid message make the frame invalid when they are not MessagePack', () => {
		const valid = encodeMessage({ type: MessageType.ACK, seq: 1 });
		expectCode(() => decodeFrame(concatBytes([valid, new Uint8Array([0xdc, 0x00, 0x09, 0x01])])), 'INVALID_FRAME');
	});

	test('the error says why', () => {
		const error = errorOf(() => decodeFrame(new Uint8Array([0x94, 0x02])));
		expect(error).toBeInstanceOf(SocketDBError);
		expect((error as SocketDBError).message).toEqual(expect.any(String));
		expect((error as SocketDBError).message.length).toBeGreaterThan(0);
	});
});

describe('parseClientMessage refuses with INVALID_MESSAGE', () => {
	test.each([
		['not an array', { type: 2 }],
		['a number', 5],
		['null', null],
		['undefined', undefined],
		['a string', 'hello'],
		['an empty array', []],
	])('a message that is %s', (_, raw) => {
		expectCode(() => parseClientMessage(raw), 'INVALID_MESSAGE');
	});

	test.each([
		['unknown type 0', [0, 'x']],
		['unknown type 99', [99]],
		['a server type (ACK)', [MessageType.ACK, 1]],
		['a server type (DATA)', [MessageType.DATA, 1, []]],
		['a string type', ['2', 1, 'p', { value: 1 }]],
		['a null type', [null]],
	])('%s', (_, raw) => {
		expectCode(() => parseClientMessage(raw), 'INVALID_MESSAGE');
	});

	test.each([
		['HELLO without protocol', [MessageType.HELLO, undefined, 's', 0, {}]],
		['HELLO with a string protocol', [MessageType.HELLO, '1', 's', 0, {}]],
		['HELLO without session', [MessageType.HELLO, 1, undefined, 0, {}]],
		['HELLO with a numeric session', [MessageType.HELLO, 1, 5, 0, {}]],
		['HELLO with a negative acked', [MessageType.HELLO, 1, 's', -1, {}]],
		['HELLO with a fractional acked', [MessageType.HELLO, 1, 's', 1.5, {}]],
		['HELLO with list info', [MessageType.HELLO, 1, 's', 0, ['v']]],
		['SET without node', [MessageType.SET, 1, 'a']],
		['SET with a leaf node', [MessageType.SET, 1, 'a', 5]],
		['SET with a list node', [MessageType.SET, 1, 'a', [{ value: 1 }]]],
		['SET with a null node', [MessageType.SET, 1, 'a', null]],
		['SET without seq', [MessageType.SET, undefined, 'a', { value: 1 }]],
		['SET with a string seq', [MessageType.SET, '1', 'a', { value: 1 }]],
		['SET with a negative seq', [MessageType.SET, -1, 'a', { value: 1 }]],
		['SET with a fractional seq', [MessageType.SET, 1.5, 'a', { value: 1 }]],
		['SET with an unsafe seq', [MessageType.SET, 2 ** 60, 'a', { value: 1 }]],
		['SET with a numeric path', [MessageType.SET, 1, 5, { value: 1 }]],
		['DELETE without path', [MessageType.DELETE, 1]],
		['DELETE with a list path', [MessageType.DELETE, 1, ['a']]],
		['DELETE without seq', [MessageType.DELETE, undefined, 'a']],
		['UPDATE without deleted paths', [MessageType.UPDATE, 1, 'a', { value: { b: { value: 1 } } }]],
		['UPDATE with a deleted path that is not a string', [MessageType.UPDATE, 1, 'a', null, ['b', 2]]],
		['UPDATE with a leaf node', [MessageType.UPDATE, 1, 'a', 5, []]],
		['UPDATE without seq', [MessageType.UPDATE, undefined, 'a', null, []]],
		['TRANSACTION without the value it expects', [MessageType.TRANSACTION, 1, 'a']],
		['TRANSACTION with a leaf node', [MessageType.TRANSACTION, 1, 'a', null, 5]],
		['TRANSACTION without seq', [MessageType.TRANSACTION, undefined, 'a', null, null]],
		['ON_DISCONNECT without an operation', [MessageType.ON_DISCONNECT, 1]],
		['ON_DISCONNECT with an unknown operation', [MessageType.ON_DISCONNECT, 1, 'push', 'a']],
		['ON_DISCONNECT with a numeric operation', [MessageType.ON_DISCONNECT, 1, 2, 'a', { value: 1 }]],
		['ON_DISCONNECT without seq', [MessageType.ON_DISCONNECT, undefined, 'delete', 'a']],
		['ON_DISCONNECT with a negative seq', [MessageType.ON_DISCONNECT, -1, 'delete', 'a']],
		['ON_DISCONNECT without path', [MessageType.ON_DISCONNECT, 1, 'cancel']],
		['ON_DISCONNECT with a numeric path', [MessageType.ON_DISCONNECT, 1, 'delete', 5]],
		['ON_DISCONNECT set without node', [MessageType.ON_DISCONNECT, 1, 'set', 'a']],
		['ON_DISCONNECT set with a leaf node', [MessageType.ON_DISCONNECT, 1, 'set', 'a', 'offline']],
		['ON_DISCONNECT set with a null node', [MessageType.ON_DISCONNECT, 1, 'set', 'a', null]],
		['ON_DISCONNECT update without deleted paths', [MessageType.ON_DISCONNECT, 1, 'update', 'a', { value: { b: { value: 1 } } }]],
		['ON_DISCONNECT update with a deleted path that is not a string', [MessageType.ON_DISCONNECT, 1, 'update', 'a', null, [1]]],
		['ON_DISCONNECT update with a leaf node', [MessageType.ON_DISCONNECT, 1, 'update', 'a', 5, []]],
		['SUBSCRIBE without path', [MessageType.SUBSCRIBE]],
		['SUBSCRIBE with a null path', [MessageType.SUBSCRIBE, null]],
		['SUBSCRIBE with a string revision', [MessageType.SUBSCRIBE, 'p', '3']],
		['SUBSCRIBE with a negative revision', [MessageType.SUBSCRIBE, 'p', -1]],
		['SUBSCRIBE with a fractional revision', [MessageType.SUBSCRIBE, 'p', 2.5]],
		['UNSUBSCRIBE with a numeric path', [MessageType.UNSUBSCRIBE, 1]],
		['SUBSCRIBE_KEYS with a map path', [MessageType.SUBSCRIBE_KEYS, {}]],
		['UNSUBSCRIBE_KEYS without path', [MessageType.UNSUBSCRIBE_KEYS]],
		['PONG with a list payload', [MessageType.PONG, [1]]],
		['PONG with a string payload', [MessageType.PONG, 'x']],
		['QUERY_SUBSCRIBE without id', [MessageType.QUERY_SUBSCRIBE, undefined, 'p', { orderBy: 'key' }]],
		['QUERY_SUBSCRIBE with a negative id', [MessageType.QUERY_SUBSCRIBE, -1, 'p', { orderBy: 'key' }]],
		['QUERY_SUBSCRIBE without path', [MessageType.QUERY_SUBSCRIBE, 1, undefined, { orderBy: 'key' }]],
		['QUERY_SUBSCRIBE with a keys flag that is not true', [MessageType.QUERY_SUBSCRIBE, 1, 'p', { orderBy: 'key' }, 1]],
		['QUERY_UNSUBSCRIBE without id', [MessageType.QUERY_UNSUBSCRIBE]],
		['QUERY_UNSUBSCRIBE with a string id', [MessageType.QUERY_UNSUBSCRIBE, '1']],
	])('%s', (_, raw) => {
		expectCode(() => parseClientMessage(raw), 'INVALID_MESSAGE');
	});

	test.each([
		['without a query', [MessageType.QUERY_SUBSCRIBE, 1, 'p']],
		['with a list for a query', [MessageType.QUERY_SUBSCRIBE, 1, 'p', ['key']]],
		['with an unknown order', [MessageType.QUERY_SUBSCRIBE, 1, 'p', { orderBy: 'priority' }]],
		['with both limits', [MessageType.QUERY_SUBSCRIBE, 1, 'p', { orderBy: 'key', limitToFirst: 1, limitToLast: 1 }]],
		['with a number bound ordered by key', [MessageType.QUERY_SUBSCRIBE, 1, 'p', { orderBy: 'key', startAt: { value: 1 } }]],
		['with a field a query does not have', [MessageType.QUERY_SUBSCRIBE, 1, 'p', { orderBy: 'key', where: 1 }]],
	])('QUERY_SUBSCRIBE %s is refused with INVALID_QUERY', (_, raw) => {
		expectCode(() => parseClientMessage(raw), 'INVALID_QUERY');
	});

	test('HELLO tolerates missing acked and info, and ignores a non-string version', () => {
		expect(parseClientMessage([MessageType.HELLO, 1, 's'])).toEqual({ type: MessageType.HELLO, protocol: 1, session: 's', acked: 0, info: {} });
		expect(parseClientMessage([MessageType.HELLO, 1, 's', 3, { version: 5, other: 'x' }])).toEqual({ type: MessageType.HELLO, protocol: 1, session: 's', acked: 3, info: {} });
	});

	test('SUBSCRIBE without a revision, or with nil, asks for the whole value', () => {
		expect(parseClientMessage([MessageType.SUBSCRIBE, 'p'])).toEqual({ type: MessageType.SUBSCRIBE, path: 'p' });
		expect(parseClientMessage([MessageType.SUBSCRIBE, 'p', null])).toEqual({ type: MessageType.SUBSCRIBE, path: 'p' });
		expect(decodeFrame(encodeMessage({ type: MessageType.SUBSCRIBE, path: 'p' }))[0]).toEqual([MessageType.SUBSCRIBE, 'p']);
		expect(decodeFrame(encodeMessage({ type: MessageType.SUBSCRIBE, path: 'p', since: 9 }))[0]).toEqual([MessageType.SUBSCRIBE, 'p', 9]);
	});

	test('ON_DISCONNECT carries only what its operation needs', () => {
		expect(decodeFrame(encodeMessage({ type: MessageType.ON_DISCONNECT, seq: 3, op: 'cancel', path: 'a' }))[0]).toEqual([MessageType.ON_DISCONNECT, 3, 'cancel', 'a']);
		expect(decodeFrame(encodeMessage({ type: MessageType.ON_DISCONNECT, seq: 4, op: 'set', path: 'a', node: { value: 1 } }))[0]).toEqual([MessageType.ON_DISCONNECT, 4, 'set', 'a', { value: 1 }]);
		expect(parseClientMessage([MessageType.ON_DISCONNECT, 5, 'update', 'a', null, []])).toEqual({ type: MessageType.ON_DISCONNECT, seq: 5, op: 'update', path: 'a', deleted: [] });
	});

	test('PONG tolerates a missing payload', () => {
		expect(parseClientMessage([MessageType.PONG])).toEqual({ type: MessageType.PONG, payload: {} });
	});

	test('the error names the problem', () => {
		const error = errorOf(() => parseClientMessage([99]));
		expect((error as SocketDBError).message).toContain('99');
	});
});

describe('parseServerMessage refuses with INVALID_MESSAGE', () => {
	test.each([
		['not an array', { type: 20 }],
		['null', null],
		['an empty array', []],
		['unknown type 19', [19]],
		['unknown type 99', [99]],
		['a client type (SET)', [MessageType.SET, 1, 'a', { value: 1 }]],
		['a client type (HELLO)', [MessageType.HELLO, 1, 's', 0, {}]],
	])('a message that is %s', (_, raw) => {
		expectCode(() => parseServerMessage(raw), 'INVALID_MESSAGE');
	});

	test.each([
		['WELCOME without id', [MessageType.WELCOME, 1]],
		['WELCOME with a numeric id', [MessageType.WELCOME, 1, 2]],
		['WELCOME without protocol', [MessageType.WELCOME, undefined, 'id']],
		['WELCOME with a non-numeric protocol', [MessageType.WELCOME, 'one', 'id']],
		['WELCOME with a numeric database id', [MessageType.WELCOME, 1, 'id', 1024, 7]],
		['WELCOME with a zero frame size limit', [MessageType.WELCOME, 1, 'id', 0, 'db']],
		['ACK without seq', [MessageType.ACK]],
		['ACK with a negative seq', [MessageType.ACK, -2]],
		['ACK with a negative revision', [MessageType.ACK, 1, -1]],
		['ACK with a string revision', [MessageType.ACK, 1, '3']],
		['REJECT without code', [MessageType.REJECT, 1, undefined, 'm']],
		['REJECT without message', [MessageType.REJECT, 1, 'VETOED']],
		['REJECT with a string seq', [MessageType.REJECT, '1', 'VETOED', 'm']],
		['SNAPSHOT with a leaf node', [MessageType.SNAPSHOT, 'p', 5, 1]],
		['SNAPSHOT without id', [MessageType.SNAPSHOT, 'p', null]],
		['SNAPSHOT without node', [MessageType.SNAPSHOT, 'p']],
		['SNAPSHOT without path', [MessageType.SNAPSHOT, undefined, null, 1]],
		['SNAPSHOT without a revision', [MessageType.SNAPSHOT, 'p', null, 1]],
		['SNAPSHOT with a fractional revision', [MessageType.SNAPSHOT, 'p', null, 1, 1.5]],
		['SNAPSHOT_PART without node', [MessageType.SNAPSHOT_PART, 1]],
		['SNAPSHOT_PART with nil', [MessageType.SNAPSHOT_PART, 1, null]],
		['SNAPSHOT_PART with a leaf node', [MessageType.SNAPSHOT_PART, 1, 5]],
		['SNAPSHOT_PART without id', [MessageType.SNAPSHOT_PART, undefined, { value: 1 }]],
		['SNAPSHOT_END without id', [MessageType.SNAPSHOT_END]],
		['SNAPSHOT_END with a path', [MessageType.SNAPSHOT_END, 'p']],
		['SNAPSHOT_ABORT without path', [MessageType.SNAPSHOT_ABORT, undefined, 'PAYLOAD_TOO_LARGE', 'm']],
		['SNAPSHOT_ABORT without code', [MessageType.SNAPSHOT_ABORT, 'p', undefined, 'm']],
		['SNAPSHOT_ABORT without message', [MessageType.SNAPSHOT_ABORT, 'p', 'PAYLOAD_TOO_LARGE']],
		['DATA without ops', [MessageType.DATA, 1]],
		['DATA with a map of ops', [MessageType.DATA, 1, { 0: 'a' }]],
		['DATA without id', [MessageType.DATA, undefined, []]],
		['DATA with a path instead of an id', [MessageType.DATA, 'p', []]],
		['DATA with joined changes that are not a list', [MessageType.DATA, 1, ['a', 'b'], 3, 1]],
		['DATA with a joined change that is not an index', [MessageType.DATA, 1, ['a', 'b'], 3, ['1']]],
		['DATA without a revision', [MessageType.DATA, 1, []]],
		['DATA with a negative revision', [MessageType.DATA, 1, [], -1]],
		['DELTA without path', [MessageType.DELTA, undefined, 1, [], 3]],
		['DELTA without id', [MessageType.DELTA, 'p', undefined, [], 3]],
		['DELTA with a map of ops', [MessageType.DELTA, 'p', 1, { 0: 'a' }, 3]],
		['DELTA with a leaf op', [MessageType.DELTA, 'p', 1, [5], 3]],
		['DELTA without a revision', [MessageType.DELTA, 'p', 1, []]],
		['KEYS without added', [MessageType.KEYS, 'p', false, undefined, []]],
		['KEYS without removed', [MessageType.KEYS, 'p', false, []]],
		['KEYS with a string of added keys', [MessageType.KEYS, 'p', false, 'a', []]],
		['KEYS without path', [MessageType.KEYS, 1, false, [], []]],
		['PING with a list payload', [MessageType.PING, [1]]],
		['GOODBYE with a string', [MessageType.GOODBYE, 'bye']],
		['KEYS_SNAPSHOT without keys', [MessageType.KEYS_SNAPSHOT, 'p']],
		['KEYS_SNAPSHOT with a map of keys', [MessageType.KEYS_SNAPSHOT, 'p', { 0: 'a' }]],
		['KEYS_SNAPSHOT without path', [MessageType.KEYS_SNAPSHOT, undefined, []]],
		['ERROR without message', [MessageType.ERROR, 'INTERNAL_ERROR']],
		['ERROR with a numeric code', [MessageType.ERROR, 500, 'm']],
		['QUERY_RESULT without entries', [MessageType.QUERY_RESULT, 1]],
		['QUERY_RESULT with a map of entries', [MessageType.QUERY_RESULT, 1, { a: 1 }, 3]],
		['QUERY_RESULT with an entry that is not a pair', [MessageType.QUERY_RESULT, 1, [['a']], 3]],
		['QUERY_RESULT with a numeric key', [MessageType.QUERY_RESULT, 1, [[1, [1]]], 3]],
		['QUERY_RESULT with a leaf for a node', [MessageType.QUERY_RESULT, 1, [['a', 5]], 3]],
		['QUERY_RESULT without a revision', [MessageType.QUERY_RESULT, 1, []]],
		['QUERY_RESULT refused without a code', [MessageType.QUERY_RESULT, 1, null]],
		['QUERY_RESULT refused without a message', [MessageType.QUERY_RESULT, 1, null, 'FORBIDDEN']],
		['QUERY_CHANGES without changes', [MessageType.QUERY_CHANGES, 1]],
		['QUERY_CHANGES with a numeric change', [MessageType.QUERY_CHANGES, 1, [5], 3]],
		['QUERY_CHANGES without id', [MessageType.QUERY_CHANGES, undefined, [], 3]],
		['QUERY_CHANGES without a revision', [MessageType.QUERY_CHANGES, 1, []]],
	])('%s', (_, raw) => {
		expectCode(() => parseServerMessage(raw), 'INVALID_MESSAGE');
	});

	test('KEYS treats anything but true as no reset', () => {
		expect(parseServerMessage([MessageType.KEYS, 'p', 1, [], []])).toMatchObject({ reset: false });
	});

	test('WELCOME with a database id but no frame size limit carries nil in its place', () => {
		const raw = decodeFrame(encodeMessage({ type: MessageType.WELCOME, protocol: 2, id: 'c', db: 'd' }))[0];
		expect(raw).toEqual([MessageType.WELCOME, 2, 'c', null, 'd']);
		expect(parseServerMessage(raw)).toEqual({ type: MessageType.WELCOME, protocol: 2, id: 'c', db: 'd' });
	});

	test('query entries and changes without meta travel as plain data; a removed child as its key', () => {
		const result = decodeFrame(encodeMessage({ type: MessageType.QUERY_RESULT, id: 2, entries: [{ key: 'a', node: { value: { b: { value: 1 } } } }], rev: 9 }))[0];
		expect(result).toEqual([MessageType.QUERY_RESULT, 2, [['a', [{ b: 1 }]]], 9]);
		const changes = decodeFrame(encodeMessage({ type: MessageType.QUERY_CHANGES, id: 2, changes: [{ key: 'a' }, { key: 'b', node: { value: 2 } }], rev: 10 }))[0];
		expect(changes).toEqual([MessageType.QUERY_CHANGES, 2, ['a', ['b', [2]]], 10]);
	});

	test('DELTA ops without meta travel as plain data, like DATA', () => {
		const raw = decodeFrame(encodeMessage({ type: MessageType.DELTA, path: 'p', id: 2, ops: [{ value: { a: { value: 1 } } }, 'a'], rev: 9 }))[0];
		expect(raw).toEqual([MessageType.DELTA, 'p', 2, [[{ a: 1 }], 'a'], 9]);
	});

	test('SNAPSHOT says more follows only with true', () => {
		expect('more' in parseServerMessage([MessageType.SNAPSHOT, 'p', null, 1, 0, 1])).toBe(false);
		expect('more' in parseServerMessage([MessageType.SNAPSHOT, 'p', null, 1, 0])).toBe(false);
		expect(parseServerMessage([MessageType.SNAPSHOT, 'p', null, 1, 0, true])).toMatchObject({ more: true });
	});
});

describe('random values never make the parsers throw anything but INVALID_MESSAGE (INVALID_QUERY for a query)', () => {
	test('fuzz', () => {
		const next = random(99);
		const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
		const value = (depth: number): unknown => {
			const roll = next();
			if (depth > 2 || roll < 0.5) return pick<unknown>([0, 1, -1, 1.5, 2 ** 60, '', 'p', 'VETOED', true, false, null, undefined]);
			if (roll < 0.75) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
			const object: Record<string, unknown> = {};
			for (const key of ['value', 'meta', 'version', 'reason', 'x']) if (next() < 0.4) object[key] = value(depth + 1);
			return object;
		};
		const types = [...Object.values(MessageType), 0, 9, 19, 99, -1];
		const surprises: unknown[] = [];
		for (let i = 0; i < 5000; i++) {
			const raw = [pick(types), ...Array.from({ length: Math.floor(next() * 6) }, () => value(0))];
			for (const parse of [parseClientMessage, parseServerMessage]) {
				try {
					parse(raw);
				} catch (error) {
					const expected = error instanceof SocketDBError && (error.code === 'INVALID_MESSAGE' || (error.code === 'INVALID_QUERY' && raw[0] === MessageType.QUERY_SUBSCRIBE));
					if (!expected) surprises.push({ raw, error });
				}
			}
		}
		expect(surprises).toEqual([]);
	});
});

describe('nodes sent to clients without meta travel as plain data', () => {
	test('a meta-less diff is encoded as [data] and decodes to the same node', () => {
		const node = { value: { counter: { value: 1 }, tags: { value: ['a'] }, nested: { value: { deep: { value: null } } } } };
		const bytes = encodeMessage({ type: MessageType.DATA, id: 1, ops: [node], rev: 7 });
		expect(decodeFrame(bytes)[0]).toEqual([MessageType.DATA, 1, [[{ counter: 1, tags: ['a'], nested: { deep: null } }]], 7]);
		expect(parseServerMessage(decodeFrame(bytes)[0])).toEqual({ type: MessageType.DATA, id: 1, ops: [node], rev: 7 });
	});

	test('a diff with meta anywhere keeps the node form', () => {
		const node = { value: { a: { value: 1, meta: { by: 'x' } } } };
		const raw = decodeFrame(encodeMessage({ type: MessageType.SNAPSHOT, path: 'p', node, id: 2, rev: 5 }))[0];
		expect(raw).toEqual([MessageType.SNAPSHOT, 'p', node, 2, 5]);
	});

	test('a whole snapshot stays one four-element message; a streamed one adds the flag', () => {
		const node = { value: { a: { value: 1 } } };
		expect(decodeFrame(encodeMessage({ type: MessageType.SNAPSHOT, path: 'p', node, id: 2, rev: 5 }))[0]).toEqual([MessageType.SNAPSHOT, 'p', [{ a: 1 }], 2, 5]);
		expect(decodeFrame(encodeMessage({ type: MessageType.SNAPSHOT, path: 'p', node, id: 2, rev: 5, more: true }))[0]).toEqual([MessageType.SNAPSHOT, 'p', [{ a: 1 }], 2, 5, true]);
		expect(decodeFrame(encodeMessage({ type: MessageType.SNAPSHOT_PART, id: 2, node }))[0]).toEqual([MessageType.SNAPSHOT_PART, 2, [{ a: 1 }]]);
	});

	test('the plain form is smaller', () => {
		const node = { value: { counter: { value: 1 }, payload: { value: 'x'.repeat(100) } } };
		const compact = encodeMessage({ type: MessageType.DATA, id: 1, ops: [node], rev: 7 }).byteLength;
		const withMeta = encodeMessage({ type: MessageType.DATA, id: 1, ops: [{ ...node, meta: {} }], rev: 7 }).byteLength;
		expect(compact).toBeLessThan(withMeta - 15);
	});
});
