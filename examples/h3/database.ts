// database.ts
import { timingSafeEqual } from 'node:crypto';
import { SocketDBServer, WebsocketServerError } from '@socketdb/server';
import { createCrosswsServer } from '@socketdb/server/crossws';

/** A secret from the environment. Without it the app does not start: it never serves without its check. */
export function secret(name: string): string {
	const value = process.env[name];
	if (value === undefined || value === '') throw new Error(`${name} is not set; refusing to start without it`);
	return value;
}

/** Whether `given` is `expected`, compared in constant time. */
export function sameSecret(given: string | null | undefined, expected: string): boolean {
	const a = Buffer.from(given ?? '');
	const b = Buffer.from(expected);
	return a.length === b.length && timingSafeEqual(a, b);
}

const clientToken = secret('DB_CLIENT_TOKEN');

// Authentication at the upgrade: a browser's WebSocket cannot set headers, so the token comes in
// the query (`wss://example.com/_db?token=...`). A wrong one is refused with 401 before anything else.
export const transport = createCrosswsServer({
	initializeSession: ({ req }) => {
		const url = new URL(req.url);
		if (!sameSecret(url.searchParams.get('token'), clientToken)) throw new WebsocketServerError({ code: 'UNAUTHORIZED' });
		return { user: url.searchParams.get('user') ?? 'anonymous' };
	},
});

export const db = SocketDBServer({ socketServer: transport });
db.listen();
