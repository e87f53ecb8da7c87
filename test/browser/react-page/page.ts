// A page for test/browser/react.test.ts, bundled by esbuild from the workspace packages with React 19.
// `?strict` renders in StrictMode. window.renders counts each component's renders; window.unmount() unmounts.
import { createElement as h, StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { SocketDBClient } from '@socketdb/client';
import { SocketDBProvider, useConnectionState, useKeys, useQuery, useSocketDB, useValue } from '@socketdb/react';

declare global {
	interface Window {
		renders: Record<string, number>;
		unmount: () => void;
		ready: boolean;
	}
}

window.renders = {};
const counted = (name: string) => void (window.renders[name] = (window.renders[name] ?? 0) + 1);

function Value({ path }: { path: string }): ReactNode {
	counted(`value:${path}`);
	const { data, status, error } = useValue(path);
	return h('p', { 'data-testid': `value:${path}` }, `${status}:${status === 'error' ? error.code : JSON.stringify(data ?? null)}`);
}

function Todo({ id }: { id: string }): ReactNode {
	counted(`todo:${id}`);
	const { data } = useValue<{ title: string }>(`todos/${id}`);
	return h('li', { 'data-testid': `todo:${id}` }, data?.title ?? '…');
}

function Todos(): ReactNode {
	counted('todos');
	const ids = useKeys('todos');
	return h('ul', { 'data-testid': 'todos' }, ...(ids ?? []).map((id) => h(Todo, { key: id, id })));
}

function Top(): ReactNode {
	counted('top');
	const db = useSocketDB();
	const { entries, status } = useQuery<{ points: number }>(db.get('scores').orderByChild('points').limitToLast(2));
	return h('p', { 'data-testid': 'top' }, status === 'ready' ? entries.map((entry) => `${entry.key}=${entry.value.points}`).join(',') : status);
}

function Connection(): ReactNode {
	return h('p', { 'data-testid': 'connection' }, useConnectionState());
}

const db = SocketDBClient();
db.connect();
const app = h(SocketDBProvider, { client: db }, h(Connection), h(Value, { path: 'greeting' }), h(Value, { path: 'slow' }), h(Value, { path: 'secret' }), h(Todos), h(Top));
const root = createRoot(document.getElementById('root')!);
root.render(new URLSearchParams(location.search).has('strict') ? h(StrictMode, null, app) : app);
window.unmount = () => root.unmount();
window.ready = true;
