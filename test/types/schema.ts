// Compile-time checks of the schema generic: every `@ts-expect-error` must be an error,
// everything else must compile. Checked by test/types.test.ts.
import { increment, serverTimestamp, SocketDBClient, type ConnectionState } from '@socketdb/client';
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

// push: on a record, the value is the type of its children.
async function pushes(): Promise<void> {
	const pushed = db.get('users').push({ name: 'Ada', age: 36, tags: [] }, { updated: Date.now() });
	await pushed;
	pushed.get('name').set('Grace');
	const key: string = pushed.key;
	const path: string = pushed.path;
	void key;
	void path;
	db.get('users').push().get('age').set(37);
	// @ts-expect-error the value must be a child of the record
	db.get('users').push({ name: 'Ada' });
	// @ts-expect-error a leaf of a child is not a child
	db.get('users').push('Ada');
	// @ts-expect-error push needs a record: settings has fixed keys
	db.get('settings').push();
	// @ts-expect-error push needs a record: a leaf has no children
	db.get('settings').get('theme').push('dark');
	// @ts-expect-error push needs a record: arrays are leaves
	db.get('users').get('1').get('tags').push('x');
}
void pushes;

// path and key are read-only; the key is null at the root.
const rootKey: string | null = db.key;
// @ts-expect-error the key may be null
const notNull: string = db.key;
// @ts-expect-error read-only
db.get('users').path = 'elsewhere';
// @ts-expect-error read-only
db.get('users').set({}).key = 'other';
void rootKey;
void notNull;

// onConnectionState: one of three states.
const stopWatching = db.onConnectionState((state: ConnectionState) => {
	const known: 'connecting' | 'connected' | 'disconnected' = state;
	// @ts-expect-error not a state
	const online: 'online' = state;
	void known;
	void online;
});
stopWatching();

// Server values stand for any leaf of a write.
db.get('users').get('42').get('age').set(increment(1));
db.get('users').get('42').set({ name: 'Ada', age: serverTimestamp(), tags: [] });
db.get('users').push({ name: 'Bo', age: increment(1), tags: [] });
// @ts-expect-error a server value is not an array item
db.get('users').get('42').get('tags').set([increment(1)]);

// update takes relative paths; transaction's function gets the path's type or null.
void db.get('users').get('42').update({ name: 'Ada', 'tags': null });
void db.get('users').get('42').get('age').transaction((age) => (age ?? 0) + 1).then(({ committed, value }) => {
	const done: boolean = committed;
	const now: number | null = value;
	void done;
	void now;
});
// @ts-expect-error the result must have the path's type
void db.get('users').get('42').get('age').transaction(() => 'old');

const untyped = SocketDBClient();
untyped.get('anything').get('goes').set({ deep: { ok: true } });
untyped.get('anything').push({ any: 'value' }).get('deeper').push(1);

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
