// The inspector page: a live view of the database, served by `socketdb serve` at `/`.
import { SocketDBClient } from '@socketdb/client';
import { ConnectionsPanel } from './connections';
import { MessageList } from './messages';
import { StatusBar } from './status';
import { TreeNodeView } from './tree';

const status = new StatusBar(document.getElementById('status')!);
const messages = new MessageList(document.getElementById('messages')!);
const panel = new ConnectionsPanel(document.getElementById('connections')!);

const db = SocketDBClient();
db.intercept('client:firstConnect', () => status.connected());
db.intercept('client:reconnect', () => status.connected());
db.intercept('client:disconnect', () => status.disconnected());
db.intercept('client:error', ({ code, message }) => {
	if (code === 'FORBIDDEN' && message.includes('stats')) panel.denied(message);
	else messages.report(`${code}: ${message}`);
});
db.intercept('client:message', (data: { inspector?: string; perSecond?: number }) => {
	if (data?.inspector === 'writes' && typeof data.perSecond === 'number') panel.writeRate(data.perSecond);
});
// The marker tells the server this connection is the inspector (with a token, the cookie proves it).
db.connect(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/?inspector`);
db.subscribeStats((stats) => panel.stats(stats));

const root = new TreeNodeView(db, '', '', 0, undefined, messages, (write) => status.track(write));
document.getElementById('tree')!.append(root.element);
root.watch();
