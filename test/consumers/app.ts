// A user's app, as the docs write it: the client, the server, the crossws entry and both plugins,
// with Meta and SessionContext extended. Each @ts-expect-error proves the types are there: were
// they `any`, the line would not be an error and the check would fail.
import { increment, nodeify, SocketDBError } from '@socketdb/core';
import { mockSocketClient, SocketDBClient, type SocketDBClientAPI } from '@socketdb/client';
import { mockSocketServer, SocketDBServer, type ServerPlugin } from '@socketdb/server';
import { createCrosswsServer } from '@socketdb/server/crossws';
import { pluginValidate, type SchemaError } from '@socketdb/plugin-validate';
import { pluginRules } from '@socketdb/plugin-rules';

declare module '@socketdb/core' {
	interface Meta {
		updated: number;
	}
}

declare module '@socketdb/server' {
	interface SessionContext {
		user: string;
	}
}

type Schema = { users: { [id: string]: { name: string; visits: number } } };

export const transport = createCrosswsServer({ initializeSession: ({ req }) => ({ user: req.headers.get('x-user') ?? 'anonymous' }) });
const audit: ServerPlugin = {
	name: 'audit',
	hooks: {
		'server:update': (_args, { client }) => {
			const user: string | null = client.context === null ? null : client.context.user;
			// @ts-expect-error the user is a string
			const wrong: number | null = client.context === null ? null : client.context.user;
			void user;
			void wrong;
		},
	},
};
export const server = SocketDBServer<Schema>({
	socketServer: transport,
	plugins: [pluginValidate({ type: 'object' }), pluginRules({ users: { $id: { '.read': true, '.write': true } } }), audit],
});
server.update(nodeify({ users: { 1: { name: 'Ada', visits: 0 } } }));

const db: SocketDBClientAPI<Schema> = SocketDBClient<Schema>();
db.connect('ws://localhost:3000/_db');
await db.get('users').get('1').set({ name: 'Ada', visits: increment(1) }, { updated: Date.now() });
// @ts-expect-error a name is a string
db.get('users').get('1').get('name').set(42);
// @ts-expect-error meta.updated is a number
db.get('users').get('1').set({ name: 'Ada', visits: 1 }, { updated: 'now' });
db.get('users').get('1').on((user, meta) => {
	const name: string | undefined = user?.name;
	const updated: number | undefined = meta?.updated;
	void name;
	void updated;
});

try {
	await db.get('users').get('2').set({ name: 'Bob', visits: 0 }, { updated: 0 });
} catch (error) {
	if (error instanceof SocketDBError && error.code === 'VETOED') console.log((error as SchemaError).errors ?? error.message);
}

const { socketServer } = mockSocketServer();
export const testServer = SocketDBServer({ socketServer });
export const testClient = SocketDBClient({ socketClient: mockSocketClient().socketClient });
