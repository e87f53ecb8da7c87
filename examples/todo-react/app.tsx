// The React todo list: @socketdb/react's hooks over one client. The list watches the whole
// collection (so this window's own writes show at once, offline too); each todo is its own memoized
// component with its own useValue, and the client keeps an unchanged todo's identity, so a change to
// one todo re-renders that todo only.
import { memo, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { SocketDBClient } from '@socketdb/client';
import { SocketDBProvider, useConnectionState, useKeys, useSocketDB, useValue } from '@socketdb/react';

type Todo = { title: string; done: boolean };
type Schema = { todos: Record<string, Todo>; online: Record<string, true> };

const me = `window-${Math.random().toString(36).slice(2, 6)}`;
// Unsent writes and the last values outlive a reload (IndexedDB).
const db = SocketDBClient<Schema>({ version: 'todo-react-example', persistence: 'indexeddb', name: 'todo-react-example' });
// Who is online: each window keeps `online/<me>` while it is connected; the server deletes it when
// the connection ends, however it ends, and the window sets it again on every connection.
const presence = db.get('online').get(me);
void presence.onDisconnect().delete();
const arrived = () => void presence.set(true);
db.intercept('client:firstConnect', arrived);
db.intercept('client:reconnect', arrived);
db.connect();

function ConnectionBadge() {
	const state = useConnectionState();
	return <span className={`state ${state}`}>{state}</span>;
}

function WhoIsOnline() {
	const ids = useKeys('online') ?? [];
	return (
		<p>
			Online:{' '}
			{[...ids].sort().map((id) => (
				<span key={id} className="who">
					{id === me ? `${id} (you)` : id}
				</span>
			))}
		</p>
	);
}

const TodoItem = memo(function TodoItem({ id }: { id: string }) {
	const db = useSocketDB<Schema>();
	const { data: todo, meta } = useValue<Todo>(`todos/${id}`);
	if (!todo) return null;
	const todoRef = db.get('todos').get(id);
	return (
		<li className={todo.done ? 'done' : ''} data-id={id}>
			<input type="checkbox" checked={todo.done} onChange={(event) => void todoRef.get('done').set(event.target.checked, { by: me })} />
			<span className="title">{todo.title}</span>
			<span className="by">{typeof meta?.['by'] === 'string' ? `by ${meta['by']}` : ''}</span>
			<button type="button" onClick={() => void todoRef.delete()}>
				delete
			</button>
		</li>
	);
});

function TodoList() {
	const { data: todos, status } = useValue<Record<string, Todo>>('todos');
	if (status === 'loading') return <p>Loading…</p>;
	// Keys made by push sort in the order the todos were added.
	const ids = Object.keys(todos ?? {}).sort();
	return (
		<ul id="todos">
			{ids.map((id) => (
				<TodoItem key={id} id={id} />
			))}
		</ul>
	);
}

function AddTodo() {
	const db = useSocketDB<Schema>();
	const [title, setTitle] = useState('');
	const add = (event: FormEvent) => {
		event.preventDefault();
		void db.get('todos').push({ title, done: false }, { by: me });
		setTitle('');
	};
	return (
		<form onSubmit={add}>
			<input name="title" value={title} onChange={(event) => setTitle(event.target.value)} placeholder="What needs doing?" required autoComplete="off" />
			<button>Add</button>
		</form>
	);
}

function NetworkToggle() {
	const [online, setOnline] = useState(true);
	const toggle = () => {
		if (online) db.disconnect();
		else db.connect();
		setOnline(!online);
	};
	return (
		<button id="network" type="button" onClick={toggle}>
			{online ? 'Go offline' : 'Go online'}
		</button>
	);
}

createRoot(document.getElementById('root')!).render(
	<SocketDBProvider client={db}>
		<header>
			<h1>Shared todos</h1>
			<ConnectionBadge />
		</header>
		<p>Open this page in a second window: changes show up in both, and go offline and back without losing a write.</p>
		<AddTodo />
		<NetworkToggle />
		<WhoIsOnline />
		<TodoList />
	</SocketDBProvider>,
);
