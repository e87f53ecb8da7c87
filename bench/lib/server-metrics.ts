/** What a bench server process reports: CPU time, bytes written to clients, memory. */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export type ServerSample = {
	/** User + system CPU time in microseconds since the process started. */
	cpuMicros: number;
	/** Bytes written to client sockets so far. */
	bytesWritten: number;
	heapUsed: number;
	rss: number;
};

/** Counts bytes written on every socket the HTTP server accepts. */
export function trackServer(http: Server): () => ServerSample {
	const sockets = new Set<Socket>();
	let closedBytes = 0;
	http.on('connection', (socket) => {
		sockets.add(socket);
		socket.once('close', () => {
			sockets.delete(socket);
			closedBytes += socket.bytesWritten;
		});
	});
	return () => {
		const cpu = process.cpuUsage();
		let bytesWritten = closedBytes;
		for (const socket of sockets) bytesWritten += socket.bytesWritten;
		const memory = process.memoryUsage();
		return { cpuMicros: cpu.user + cpu.system, bytesWritten, heapUsed: memory.heapUsed, rss: memory.rss };
	};
}

/** Collects garbage (the process runs with --expose-gc) a few times, then samples. */
export async function settledSample(sample: () => ServerSample): Promise<ServerSample> {
	const gc = (globalThis as { gc?: () => void }).gc;
	for (let i = 0; i < 3; i++) {
		gc?.();
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	return sample();
}
