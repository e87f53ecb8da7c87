import { SocketDBClient } from '/socketdb-client.js';

const me = `window-${Math.random().toString(36).slice(2, 6)}`;
const db = SocketDBClient({ version: 'todo-example', routeTracking: true });
const todos = db.get('todos');
const list = document.getElementById('todos');
const state = document.getElementById('state');
const queued = document.getElementById('queued');
const network = document.getElementById('network');
let online = true;
let pending = 0;

function showState(text, kind) {
	state.textContent = text;
	state.className = kind;
}
// Who is online: each window keeps `online/<me>` while it is connected. The server deletes it when
// the connection ends, however it ends (going offline, closing the window, a lost network); the
// client registers that again on every connection, and says it is back after each reconnect.
const presence = db.get('online').get(me);
void presence.onDisconnect().delete();
const connected = () => {
	showState('online', 'online');
	void presence.set(true);
};
db.intercept('client:firstConnect', connected);
db.intercept('client:reconnect', connected);
db.intercept('client:disconnect', () => showState(online ? 'reconnecting' : 'offline', 'offline'));
db.connect();

const who = document.getElementById('online');
db.get('online').onKeys((ids) => {
	who.replaceChildren(...ids.sort().map((id) => Object.assign(document.createElement('span'), { className: 'who', textContent: id === me ? `${id} (you)` : id })));
});

/** Writes wait in the client's outbox while offline; count them until the server acknowledges each. */
function track(write) {
	pending++;
	queued.textContent = `${pending} write(s) waiting for the server`;
	const done = () => {
		pending--;
		queued.textContent = pending === 0 ? '' : `${pending} write(s) waiting for the server`;
	};
	write.then(done, (error) => {
		done();
		alert(error.message);
	});
}

// `each` announces every todo once (and new ones as they come); `on` follows one todo, with its meta.
todos.each((todo, id) => {
	const item = document.createElement('li');
	item.dataset.id = id;
	const box = Object.assign(document.createElement('input'), { type: 'checkbox' });
	const title = Object.assign(document.createElement('span'), { className: 'title' });
	const by = Object.assign(document.createElement('span'), { className: 'by' });
	const remove = Object.assign(document.createElement('button'), { textContent: 'delete', type: 'button' });
	item.append(box, title, by, remove);
	list.append(item);
	box.addEventListener('change', () => track(todo.set({ done: box.checked }, { by: me, at: Date.now() })));
	remove.addEventListener('click', () => track(todo.delete()));
	const stop = todo.on((value, meta) => {
		if (value === null) {
			stop();
			item.remove();
			return;
		}
		title.textContent = value.title;
		box.checked = value.done === true;
		item.classList.toggle('done', value.done === true);
		by.textContent = meta?.by ? `by ${meta.by}` : '';
	});
});

document.getElementById('add').addEventListener('submit', (event) => {
	event.preventDefault();
	const input = event.target.elements.title;
	const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
	track(todos.get(id).set({ title: input.value, done: false }, { by: me, at: Date.now() }));
	input.value = '';
});

network.addEventListener('click', () => {
	online = !online;
	if (online) db.connect();
	else db.disconnect();
	network.textContent = online ? 'Go offline' : 'Go online';
	if (!online) showState('offline', 'offline');
});
