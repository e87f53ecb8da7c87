// What the TypeScript blocks of README.md and docs/ may use without defining it
// (test/docs/examples.test.ts). Everything else a block uses, it imports or defines.

// The names the docs treat as there already: the app's schema, a client `db`, a server `server`.
type Schema = {
	users: { [id: string]: { name: string; born?: number } };
	rooms: { [id: string]: { title: string; messages: { [id: string]: string } } };
	team: { [name: string]: { role: string } };
};
declare const db: import('@socketdb/client').SocketDBClientAPI<Schema>;
declare const server: import('@socketdb/server').SocketDBServerAPI<Schema>;

// The reader's own code, which the docs call but cannot know.
declare function verifyToken(token: string): Promise<{ id: string; role: 'admin' | 'member' } | null>;
declare function checkPassword(username: string, password: string): boolean;
declare function userFromCookie(cookie: string | undefined): Promise<{ id: string } | null>;
declare function loadUser(id: string | undefined): Promise<{ id: string; role: 'admin' | 'member' } | null>;
declare function createSqliteStore(options: { file: string }): import('@socketdb/core').Store;
declare const yourPlugins: import('@socketdb/server').ServerPlugin[];
declare const app: import('node:http').RequestListener;
declare const token: string;
declare function showTitle(title: string | null): void;
declare function showMessage(text: string | null): void;
declare function render(stats: import('@socketdb/core').ConnectionStats): void;
declare function renderDashboard(total: number, versions: Record<string, number>, routes: Record<string, number>): void;
