import type { IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';

export type UpgradeResult = { status: number; headers: IncomingHttpHeaders; body: string } | 'accepted';

/** Tries a WebSocket upgrade with a raw `ws` client; reports the refusal, or 'accepted'. */
export function tryUpgrade(url: string, headers: Record<string, string> = {}): Promise<UpgradeResult> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, { headers });
		let done = false;
		ws.on('unexpected-response', (_req, res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (chunk: string) => (body += chunk));
			res.on('end', () => {
				done = true;
				resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
				ws.terminate();
			});
		});
		ws.on('open', () => {
			done = true;
			resolve('accepted');
			ws.terminate();
		});
		ws.on('error', (error) => {
			if (!done) reject(error);
		});
	});
}

