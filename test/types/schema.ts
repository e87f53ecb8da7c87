// Compile-time checks of the schema generic: every `@ts-expect-error` must be an error,
// everything else must compile. Checked by test/types.test.ts.
import { SocketDBClient } from '@socketdb/client';
import { SocketDBServer, type ServerPlugin } from '@socketdb/server';

type Schema = {
	users: { [id: string]: { name: string; age: number; tags: string[] } };
	settings: { theme: 'dark' | 'light' };
};

const db = SocketDBClient<Schema>();

db.get('users').get('42').set({ name: 'Ada', age: 36, tags: [] });
db.get('users').get('42').get('name').set('Ada');
db.get('settings').get('theme').set('dark');

// @ts-expect-error unknown key at the root
db.get('nope');
// @ts-expect-error unknown key below
db.get('settings').get('colour');
// @ts-expect-error wrong value type
db.get('users').get('42').get('age').set('thirty');
// @ts-expect-error wrong literal
db.get('settings').get('theme').set('blue');
// @ts-expect-error missing fields of the schema type
db.get('users').get('42').set({ name: 'Ada' });

db.get('users').get('42').on((user) => {
	const name: string | undefined = user?.name;
	// @ts-expect-error the value may be null
	const age: number = user.age;
	void name;
	void age;
});

db.get('users').each((user, id) => {
	const key: string | number = id;
	user.get('name').on((name) => name?.toUpperCase());
	void key;
});

async function awaitable(): Promise<void> {
	await db.get('users').get('1').set({ name: 'B', age: 1, tags: ['x'] });
	await db.get('users').get('1').delete();
	db.get('users').get('1').set({ name: 'C', age: 2, tags: [] }).get('name').set('D');
}
void awaitable;

const untyped = SocketDBClient();
untyped.get('anything').get('goes').set({ deep: { ok: true } });

const server = SocketDBServer<Schema>();
server.update({ value: { settings: { value: { theme: { value: 'light' } } } } });
server.intercept('server:update', ({ data }, { client }) => {
	const id: string | null = client.id;
	void id;
	return { data };
});

export const plugin: ServerPlugin<Schema> = {
	name: 'typed',
	hooks: {
		'server:delete': ({ path }) => ({ path: path.toLowerCase() }),
	},
};
