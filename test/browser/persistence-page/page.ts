// A page for test/browser/persistence.test.ts, bundled by esbuild from the workspace packages:
// a client with IndexedDB persistence (`?name=`) on the database at `?db=<port>`. window.todosSeen
// lists what `on('todos')` delivered, with the connection state at that moment.
import { SocketDBClient, type ConnectionState } from '@socketdb/client';

declare global {
	interface Window {
		persistentDb: ReturnType<typeof SocketDBClient>;
		todosSeen: { value: unknown; state: ConnectionState }[];
		connection: ConnectionState;
		ready: boolean;
	}
}

const params = new URLSearchParams(location.search);
const db = SocketDBClient({ persistence: 'indexeddb', name: params.get('name') ?? 'default', url: `ws://127.0.0.1:${params.get('db')}` });
window.persistentDb = db;
window.todosSeen = [];
window.connection = 'disconnected';
db.onConnectionState((state) => void (window.connection = state));
db.get('todos').on((value) => void window.todosSeen.push({ value, state: window.connection }));
// `?writeAtLoad=key`: a write made at once, before IndexedDB has opened.
const atLoad = params.get('writeAtLoad');
if (atLoad !== null) void db.get(`todos/${atLoad}`).set('written at load').then(undefined, () => undefined);
db.connect();
window.ready = true;
