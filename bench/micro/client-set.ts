// Micro-benchmark: the client's cost per set() and its acknowledgement, without a network.
// `tsx bench/micro/client-set.ts [writes]`
import { SocketDBClient } from '@socketdb/client';
import { decodeFrame, encodeFrame, MessageType, parseClientMessage, PROTOCOL_VERSION, type CloseInfo, type SocketClient } from '@socketdb/core';
import { performance } from 'node:perf_hooks';

const writes = Number(process.argv[2] ?? 200_000);
let deliver: (frame: Uint8Array) => void = () => undefined;
let openListener: () => void = () => undefined;
const acks: number[] = [];
const transport: SocketClient = {
	connect: () => queueMicrotask(() => openListener()),
	close: () => undefined,
	send: (frame) => {
		for (const message of decodeFrame(frame).map(parseClientMessage)) if (message.type === MessageType.SET) acks.push(message.seq);
	},
	onOpen: (listener) => void (openListener = listener),
	onClose: (_listener: (info: CloseInfo) => void) => undefined,
	onMessage: (listener) => void (deliver = listener),
};
const db = SocketDBClient({ socketClient: transport });
db.connect('ws://fake');
await new Promise((resolve) => setTimeout(resolve, 5));
deliver(encodeFrame([{ type: MessageType.WELCOME, protocol: PROTOCOL_VERSION, id: 'x' }]));

function acknowledge(): void {
	// With the revision the data holds the write as of, as the server acknowledges.
	if (acks.length > 0) deliver(encodeFrame(acks.splice(0).map((seq) => ({ type: MessageType.ACK, seq, rev: seq }))));
}

const start = performance.now();
for (let i = 0; i < writes; i++) {
	db.get('users').get(String(i % 200)).set({ n: i, sent: i });
	if (i % 100 === 99) {
		await new Promise((resolve) => setImmediate(resolve));
		acknowledge();
	}
}
await new Promise((resolve) => setImmediate(resolve));
acknowledge();
const elapsed = performance.now() - start;
console.log(`${((elapsed * 1000) / writes).toFixed(2)} µs per set (with its encode, send and acknowledgement)`);
