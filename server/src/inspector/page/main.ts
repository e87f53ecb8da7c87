// The inspector page: a live view of the database, served by `socketdb serve` at `/`.
import { SocketDBClient } from '@socketdb/client';
import { ConnectionsPanel } from './connections';
import { StatusBar } from './status';
import { TreeNodeView } from './tree';

const status = new StatusBar(document.getElementById('status')!);
const messages = document.getElementById('messages')!;
const panel = new ConnectionsPanel(document.getElementById('connections')!);

function report(message: string): void {
	const item = document.createElement('li');
	item.className = 'error';
	item.textContent = message;
	messages.prepend(item);
	while (messages.children.length > 5) messages.lastElementChild?.remove();
}

const db = SocketDBClient();
db.intercept('client:firstConnect', () => status.connected());
db.intercept('client:reconnect', () => status.connected());
db.intercept('client:disconnect', () => status.disconnected());
db.intercept('client:error', ({ code, message }) => {
	if (code === 'FORBIDDEN' && message.includes('stats')) panel.denied(message);
	else report(`${code}: ${message}`);
});
db.intercept('client:message', (data: { inspector?: string; perSecond?: number }) => {
	if (data?.inspector === 'writes' && typeof data.perSecond === 'number') panel.writeRate(data.perSecond);
});
// The marker tells the server this connection is the inspector (with a token, the cookie proves it).
db.connect(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/?inspector`);
db.subscribeStats((stats) => panel.stats(stats));

const root = new TreeNodeView(db, '', '', 0, undefined, report, (write) => status.track(write));
document.getElementById('tree')!.append(root.element);
root.watch();
