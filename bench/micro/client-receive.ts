// Micro-benchmark: the client's cost per received DATA frame, without a network.
// `tsx bench/micro/client-receive.ts [clients] [frames]`
import { SocketDBClient } from '@socketdb/client';
import { encodeFrame, MessageType, nodeify, PROTOCOL_VERSION, type CloseInfo, type NodeDiff, type SocketClient } from '@socketdb/core';
import { performance } from 'node:perf_hooks';

const clients = Number(process.argv[2] ?? 1000);
const frames = Number(process.argv[3] ?? 200);

function fakeTransport() {
	const listeners = { open: [] as (() => void)[], message: [] as ((frame: Uint8Array) => void)[] };
	const transport: SocketClient = {
		connect: () => queueMicrotask(() => listeners.open.forEach((open) => open())),
		close: () => undefined,
		send: () => undefined,
		onOpen: (listener) => void listeners.open.push(listener),
		onClose: (_listener: (info: CloseInfo) => void) => undefined,
		onMessage: (listener) => void listeners.message.push(listener),
	};
	return { transport, deliver: (frame: Uint8Array) => listeners.message.forEach((listener) => listener(frame)) };
}

const fakes = Array.from({ length: clients }, () => fakeTransport());
let received = 0;
for (const fake of fakes) {
	const db = SocketDBClient({ socketClient: fake.transport });
	db.connect('ws://fake');
	db.get('room').get('state').on(() => void received++);
}
await new Promise((resolve) => setTimeout(resolve, 10));
const welcome = encodeFrame([{ type: MessageType.WELCOME, protocol: PROTOCOL_VERSION, id: 'x' }]);
for (const fake of fakes) fake.deliver(welcome);
await new Promise((resolve) => setTimeout(resolve, 10));
const snapshot = encodeFrame([{ type: MessageType.SNAPSHOT, path: 'room/state', node: null, id: 1, rev: 5 }]);
for (const fake of fakes) fake.deliver(snapshot);
await new Promise((resolve) => setTimeout(resolve, 10));

const filler = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3);
const encoded = Array.from({ length: frames }, (_, i) =>
	encodeFrame([{ type: MessageType.DATA, id: 1, ops: [nodeify({ counter: i, payload: `${i}:${filler}`.slice(0, 100) }) as NodeDiff], rev: 7 }]),
);
received = 0;
const start = performance.now();
for (const frame of encoded) for (const fake of fakes) fake.deliver(Buffer.from(frame));
const elapsed = performance.now() - start;
console.log(`${received} deliveries, ${((elapsed * 1000) / (frames * clients)).toFixed(2)} µs per frame per client`);
