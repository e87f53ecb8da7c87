// A page for test/browser/persistence.test.ts, bundled by esbuild from the workspace packages:
// a client with IndexedDB persistence (`?name=`) on the database at `?db=<port>`. window.seen
// lists what `on('todos')` delivered, with the connection state at that moment.
import { SocketDBClient, type ConnectionState } from '@socketdb/client';

declare global {
	interface Window {
		db: ReturnType<typeof SocketDBClient>;
		seen: { value: unknown; state: ConnectionState }[];
		state: ConnectionState;
		ready: boolean;
	}
}

const params = new URLSearchParams(location.search);
const db = SocketDBClient({ persistence: 'indexeddb', name: params.get('name') ?? 'default', url: `ws://127.0.0.1:${params.get('db')}` });
window.db = db;
window.seen = [];
window.state = 'disconnected';
db.onConnectionState((state) => void (window.state = state));
db.get('todos').on((value) => void window.seen.push({ value, state: window.state }));
db.connect();
window.ready = true;
