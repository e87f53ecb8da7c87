// routes.ts
import { defineWebSocketHandler, H3, HTTPError, type H3Event } from 'h3';
import { db, sameSecret, secret, transport } from './database';

const adminToken = secret('ADMIN_TOKEN');

function requireAdmin(event: H3Event): void {
	if (!sameSecret(event.req.headers.get('authorization'), `Bearer ${adminToken}`)) throw new HTTPError({ status: 401, message: 'admin token required' });
}

export const app = new H3();

// The app's own routes answer beside the database.
app.get('/health', () => ({ ok: true }));

// The database, on one route.
app.get('/_db', defineWebSocketHandler(transport.hooks));

// Connection counts, for admins only.
app.get('/admin/stats', (event) => {
	requireAdmin(event);
	return db.stats();
});

// A message to every connected client (it arrives at their `client:message` hook).
app.post('/admin/announce', async (event) => {
	requireAdmin(event);
	const { text } = (await event.req.json()) as { text?: unknown };
	if (typeof text !== 'string') throw new HTTPError({ status: 400, message: 'text must be a string' });
	db.broadcast({ announcement: text });
	return { sent: true };
});
