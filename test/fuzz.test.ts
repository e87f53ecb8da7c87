import fc from 'fast-check';
import { afterEach, expect, test } from 'vitest';
import { createStore, decodeFrame, encodeFrame, invalidKeyReason, MessageType, nodeify, parseClientMessage, SocketDBError, unwrap, type Node } from '@socketdb/core';
import { pack } from '../core/src/msgpack';
import { closeRawSockets, handshake, type Raw } from './helpers/raw';
import { cleanup, connectClient, startServer, waitFor } from './helpers/server';

// FUZZ_FRAMES=n sends n hostile frames (npm run test:fuzz sends 100,000); FUZZ_SEED=s replays a run.
const FRAMES = Number(process.env['FUZZ_FRAMES'] ?? 4000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261122);
const LIMITS = { maxFrameBytes: 64 * 1024, maxDepth: 16, maxKeysPerWrite: 2000, maxPathLength: 256 };

afterEach(async () => {
	closeRawSockets();
	await cleanup();
});

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();
function expectPrototypeUntouched(where: string): void {
	expect(Object.getOwnPropertyNames(Object.prototype).sort(), where).toEqual(PROTOTYPE_KEYS);
	const probe = {} as Record<string, unknown>;
	for (const key of ['x', 'a', 'value', 'meta', 'polluted', 'constructor2']) expect(probe[key], `${where}: Object.prototype.${key}`).toBe(undefined);
}

/** True for a decoded value that the server would take as a write (random values must not be). */
function isWrite(raw: unknown): boolean {
	try {
		const message = parseClientMessage(raw);
		return message.type === MessageType.SET || message.type === MessageType.DELETE;
	} catch {
		return false;
	}
}

/** True for bytes that happen to hold a well-formed write (random bytes now and then do). */
function decodesToWrite(bytes: Uint8Array): boolean {
	try {
		return decodeFrame(bytes).some(isWrite);
	} catch {
		return false;
	}
}

test('the decoder answers any bytes with messages or an error, and never touches Object.prototype', () => {
	fc.assert(
		fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
			let messages: unknown[] = [];
			try {
				messages = decodeFrame(bytes);
			} catch (error) {
				expect(error).toBeInstanceOf(Error);
			}
			for (const raw of messages) {
				try {
					parseClientMessage(raw);
				} catch (error) {
					expect(error).toBeInstanceOf(SocketDBError);
				}
			}
			expectPrototypeUntouched('decoding');
		}),
		{ seed: SEED, numRuns: 3000 },
	);
});

test('any MessagePack value either parses as a message or is refused with INVALID_MESSAGE', () => {
	fc.assert(
		fc.property(fc.oneof(fc.anything(), fc.tuple(fc.integer({ min: 0, max: 30 }), fc.anything(), fc.anything(), fc.anything())), (value) => {
			const [raw] = decodeFrame(pack(value));
			try {
				parseClientMessage(raw);
			} catch (error) {
				expect((error as SocketDBError).code).toBe('INVALID_MESSAGE');
			}
		}),
		{ seed: SEED, numRuns: 3000 },
	);
});

// ---- hostile frames ----

/** An object whose keys are kept exactly as given, `__proto__` included, when packed. */
const rawObject = (entries: [string, unknown][]) => new Map(entries);

const reservedKey = fc.constantFrom('__proto__', 'constructor', 'prototype');
const badPath = fc.oneof(
	fc.tuple(fc.constantFrom('', 'a/', 'hostile/x/'), reservedKey, fc.constantFrom('', '/b', '/__proto__')).map(([before, key, after]) => `${before}${key}${after}`),
	fc.constantFrom('a//b', '///', 'hostile//x', '/hostile///'),
	fc.integer({ min: 1, max: 400 }).map((n) => `hostile/${'x'.repeat(LIMITS.maxPathLength + n)}`),
	fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.constant(new Map([['a', 1]]))),
);

/** Nests `inner` `depth` levels deep as node children. */
const nestNodes = (depth: number, inner: unknown): unknown => {
	let node = inner;
	for (let i = 0; i < depth; i++) node = { value: { d: node } };
	return node;
};
/** A node that breaks one rule of a write, with the rest of it ordinary. */
const badNode = fc.oneof(
	// Nesting past maxDepth, as node children and inside a leaf.
	fc.integer({ min: LIMITS.maxDepth + 1, max: 200 }).map((depth) => nestNodes(depth, { value: 1 })),
	fc.integer({ min: LIMITS.maxDepth + 1, max: 200 }).map((depth) => ({ value: { leaf: { value: nestNodes(depth, 1) } } })),
	// More keys than a write may hold.
	fc.integer({ min: LIMITS.maxKeysPerWrite + 1, max: LIMITS.maxKeysPerWrite + 50 }).map((n) => ({ value: { list: { value: Array.from({ length: n }, (_, i) => i) } } })),
	// A reserved key somewhere: in the children, in a leaf object, in meta.
	fc.tuple(reservedKey, fc.integer({ min: 0, max: 6 })).map(([key, depth]) => nestNodes(depth, { value: rawObject([[key, { value: { polluted: { value: true } } }]]) })),
	fc.tuple(reservedKey, fc.integer({ min: 0, max: 6 })).map(([key, depth]) => ({ value: { leaf: { value: [nestNodes(depth, rawObject([[key, { polluted: true }]]))] } } })),
	reservedKey.map((key) => ({ value: { a: { value: 1 } }, meta: rawObject([[key, { polluted: true }]]) })),
	// Values that are not JSON.
	fc.constantFrom<unknown>(new Uint8Array([1, 2, 3]), new Date(0), Number.NaN, Number.POSITIVE_INFINITY, -Infinity, undefined).map((bad) => ({ value: { a: { value: bad } } })),
	fc.constantFrom<unknown>(new Uint8Array([1]), new Date(0), Number.NaN).map((bad) => ({ value: { a: { value: [1, { b: bad }] } } })),
	// Nodes of the wrong shape.
	fc.constantFrom<unknown>({ value: { a: { value: 1, extra: 2 } } }, { value: { a: { meta: 5, value: 1 } } }, { value: { a: 7 } }, { value: { a: { value: { b: 'not a node' } } } }, { value: { a: null } }),
);
const HOSTILE_BASE = 'hostile/target';

type Hostile = { bytes: Uint8Array | string; kind: string };
const hostileFrame = (seq: () => number): fc.Arbitrary<Hostile> =>
	fc.oneof(
		{
			weight: 3,
			arbitrary: fc
				.uint8Array({ minLength: 1, maxLength: 200 })
				.filter((bytes) => !decodesToWrite(bytes))
				.map((bytes) => ({ bytes, kind: 'random bytes' })),
		},
		{
			weight: 3,
			arbitrary: fc
				.anything()
				.filter((value) => !isWrite(value))
				.map((value) => ({ bytes: pack(value), kind: 'random value' })),
		},
		{
			weight: 2,
			arbitrary: fc
				.tuple(fc.integer({ min: 1, max: 30 }), fc.anything({ maxDepth: 3 }), fc.anything({ maxDepth: 3 }), fc.anything({ maxDepth: 3 }))
				.filter((tuple) => !isWrite(tuple))
				.map((tuple) => ({ bytes: pack(tuple), kind: 'random message' })),
		},
		{ weight: 1, arbitrary: fc.string({ maxLength: 100 }).map((text) => ({ bytes: text, kind: 'text frame' })) },
		{
			weight: 1,
			arbitrary: fc.integer({ min: 1, max: 40 }).map((cut) => {
				const whole = encodeFrame([{ type: MessageType.SET, seq: seq(), path: `${HOSTILE_BASE}/t`, node: nodeify({ a: { b: 'truncated' } }) }]);
				return { bytes: whole.slice(0, Math.max(1, whole.length - cut)), kind: 'truncated frame' };
			}),
		},
		{ weight: 4, arbitrary: badPath.map((path) => ({ bytes: pack([MessageType.SET, seq(), path, { value: { polluted: { value: true } } }]), kind: 'set on a bad path' })) },
		{ weight: 6, arbitrary: badNode.map((node) => ({ bytes: pack([MessageType.SET, seq(), HOSTILE_BASE, node]), kind: 'set of a bad node' })) },
		{ weight: 2, arbitrary: badPath.map((path) => ({ bytes: pack([MessageType.DELETE, seq(), path]), kind: 'delete of a bad path' })) },
		{ weight: 2, arbitrary: fc.tuple(fc.constantFrom(MessageType.SUBSCRIBE, MessageType.SUBSCRIBE_KEYS, MessageType.UNSUBSCRIBE), badPath).map(([type, path]) => ({ bytes: pack([type, path]), kind: 'subscribe to a bad path' })) },
		{ weight: 1, arbitrary: fc.constant(null).map(() => ({ bytes: new Uint8Array(LIMITS.maxFrameBytes + 1 + (seq() % 100)).fill(0x91), kind: 'oversized frame' })) },
		{ weight: 1, arbitrary: fc.constantFrom(-1, 1.5, 2 ** 60, Number.NaN).map((badSeq) => ({ bytes: pack([MessageType.SET, badSeq, `${HOSTILE_BASE}/s`, { value: 1 }]), kind: 'set with a bad write number' })) },
	);

/** Ordinary writes of an honest client, under `valid/`. */
const validKey = fc.string({ minLength: 1, maxLength: 6 }).filter((key) => invalidKeyReason(key) === null);
const leaf = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 10 }), fc.boolean(), fc.constant(null), fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 4 }));
const honestValue = fc.oneof(leaf, fc.dictionary(validKey, fc.oneof(leaf, fc.dictionary(validKey, leaf, { maxKeys: 3 })), { maxKeys: 4 }));
const honestOp = fc.oneof(
	{ weight: 3, arbitrary: fc.tuple(fc.constantFrom('valid/a', 'valid/b', 'valid/a/x', 'valid/c/d'), honestValue).map(([path, value]) => ({ kind: 'set' as const, path, value })) },
	{ weight: 1, arbitrary: fc.constantFrom('valid/a', 'valid/b', 'valid/c').map((path) => ({ kind: 'delete' as const, path })) },
);

test(`${FRAMES} hostile frames (seed ${SEED}): the server stays up, refuses each, and the tree holds exactly the valid writes`, async () => {
	const { server, url, errors } = await startServer({ limits: LIMITS });
	const honest = connectClient(url);

	const model = createStore();
	let nextSeq = 1;
	const seq = () => nextSeq++;
	const frames = fc.sample(hostileFrame(seq), { seed: SEED, numRuns: FRAMES });
	const ops = fc.sample(honestOp, { seed: SEED + 1, numRuns: Math.ceil(FRAMES / 50) });
	const kinds = new Map<string, number>();
	let attacker: Raw = await handshake(url);
	let reconnects = 0;
	let barrier = 0;

	/** Waits until the server has read everything sent so far on `attacker` (or closed it). */
	const settle = async () => {
		const from = attacker.messages.length;
		const path = `barrier/${barrier++}`;
		attacker.send({ type: MessageType.SUBSCRIBE, path });
		await waitFor(() => attacker.closed() !== undefined || attacker.messages.slice(from).some((message) => message.type === MessageType.SNAPSHOT && message.path === path), 'the server to read the batch', 10_000);
		if (attacker.closed() === undefined) attacker.send({ type: MessageType.UNSUBSCRIBE, path });
	};

	for (let start = 0; start < frames.length; start += 50) {
		if (attacker.closed() !== undefined) {
			const goodbye = attacker.messages.find((message) => message.type === MessageType.GOODBYE);
			expect(goodbye, `seed ${SEED}: a closed attacker was told why`).toMatchObject({ goodbye: { reason: expect.stringMatching(/^(too-many-errors|protocol-error)$/) } });
			attacker = await handshake(url);
			reconnects++;
		}
		for (const frame of frames.slice(start, start + 50)) {
			kinds.set(frame.kind, (kinds.get(frame.kind) ?? 0) + 1);
			if (attacker.closed() === undefined) attacker.sendBytes(frame.bytes);
		}
		const op = ops[start / 50]!;
		if (op.kind === 'set') {
			await honest.get(op.path).set(op.value as never);
			model.put(anchored(op.path, nodeify(op.value as never)));
		} else {
			await honest.get(op.path).delete();
			model.del(op.path);
		}
		await settle();
		expectPrototypeUntouched(`seed ${SEED}, after frame ${start + 50}`);
	}

	expect(unwrap(server.get('hostile')), `seed ${SEED}: nothing hostile was written`).toBeNull();
	expect(unwrap(server.get('valid')), `seed ${SEED}: the valid writes, exactly`).toEqual(unwrap(model.get('valid') ?? nodeify(null)));
	// Still serving: a new client reads and writes.
	const fresh = connectClient(url);
	await fresh.get('after/fuzz').set({ ok: true });
	expect(await new Promise((resolve) => fresh.get('after/fuzz').once(resolve))).toEqual({ ok: true });
	// Every refusal was logged, and nothing else went wrong on the server.
	expect(errors.filter((error) => !(error instanceof SocketDBError) || ['INTERNAL_ERROR', 'VETOED'].includes(error.code)), `seed ${SEED}`).toEqual([]);
	console.log(`fuzz seed ${SEED}: ${FRAMES} hostile frames (${[...kinds].map(([kind, count]) => `${kind} ${count}`).join(', ')}), ${reconnects} reconnects after goodbye, ${errors.length} refusals logged`);
}, 600_000);

function anchored(path: string, node: Node): Node {
	return path.split('/').reduceRight<Node>((child, key) => ({ value: { [key]: child } }), node);
}
