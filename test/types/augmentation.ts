// Declaration merging: users extend Meta and SessionContext, and the extensions show up
// wherever users see them. Checked by test/types.test.ts.
import { SocketDBClient, type ClientPlugin } from '@socketdb/client';
import { SocketDBServer } from '@socketdb/server';

declare module '@socketdb/core' {
	interface Meta {
		updated: number;
	}
}

declare module '@socketdb/core' {
	interface CustomGoodbyeMessage {
		bannedUntil?: number;
	}
}

declare module '@socketdb/server' {
	interface SessionContext {
		user: { id: string };
	}
}

const db = SocketDBClient();
db.get('a').set(1, { updated: Date.now() });
// @ts-expect-error meta.updated must be a number
db.get('a').set(1, { updated: 'yesterday' });
// @ts-expect-error meta.updated is required once declared
db.get('a').set(1, {});

db.get('a').on((_value, meta) => {
	const updated: number | undefined = meta?.updated;
	// @ts-expect-error updated is a number, not a string
	const wrong: string | undefined = meta?.updated;
	void updated;
	void wrong;
});

export const stamp: ClientPlugin = {
	name: 'stamp',
	hooks: {
		'client:set': ({ path, value, meta }) => {
			const previous: number | undefined = meta?.updated;
			void previous;
			return { path, value, meta: { updated: Date.now() } };
		},
	},
};

const server = SocketDBServer();
server.intercept('server:update', ({ data }, { client }) => {
	const updated: number | undefined = data.meta?.updated;
	// client.context is null for server-side writes
	const user: string | undefined = client.context?.user.id;
	void updated;
	void user;
});
server.intercept('server:clientConnect', (_args, { client }) => {
	const id: string = client.context.user.id;
	// @ts-expect-error the context has no such field
	client.context.user.name.toUpperCase();
	void id;
});
const admin = server.getClient((context) => context.user.id === 'admin');
admin?.close({ reason: 'custom', bannedUntil: Date.now() + 60_000 });
// @ts-expect-error bannedUntil is a number
admin?.close({ reason: 'custom', bannedUntil: 'tomorrow' });
admin?.close({ reason: 'keep-alive-check-failed' });
