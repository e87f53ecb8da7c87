/** What a bench server process reports: CPU time, bytes written to clients, memory. */
import { readFileSync } from 'node:fs';
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

/** Memory at one moment: RSS, the anonymous part of RSS (not file pages such as LMDB's memory map; NaN off Linux) and the used heap. */
export type MemorySample = { rss: number; rssAnon: number; heapUsed: number };

function memorySample(): MemorySample {
	const { rss, heapUsed } = process.memoryUsage();
	let rssAnon = Number.NaN;
	try {
		const match = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
		if (match !== null) rssAnon = Number(match[1]) * 1024;
	} catch {
		// Not Linux: only RSS and heap.
	}
	return { rss, rssAnon, heapUsed };
}

/**
 * The highest memory use over a stretch of time, sampled every `intervalMs`, against a settled
 * sample (after garbage collection) taken at the start.
 */
export async function startPeakTracking(intervalMs = 20): Promise<() => { before: MemorySample; peak: MemorySample }> {
	const gc = (globalThis as { gc?: () => void }).gc;
	for (let i = 0; i < 3; i++) {
		gc?.();
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	const before = memorySample();
	const peak = { ...before };
	const timer = setInterval(() => {
		const now = memorySample();
		peak.rss = Math.max(peak.rss, now.rss);
		peak.rssAnon = Math.max(peak.rssAnon, now.rssAnon);
		peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
	}, intervalMs);
	return () => {
		clearInterval(timer);
		return { before, peak };
	};
}
