// The inspector page: a live view of the database, served by `socketdb serve` at `/`.
import { SocketDBClient } from '@socketdb/client';
import { ConnectionsPanel } from './connections';
import { handleTreeKeys } from './keyboard';
import { hashOfPath, keysOfHash } from './links';
import { MessageList } from './messages';
import { Search } from './search';
import { StatusBar } from './status';
import { exportSubtree, importFile } from './transfer';
import { TreeNodeView } from './tree';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = new StatusBar(byId('status'));
const messages = new MessageList(byId('messages'));
const panel = new ConnectionsPanel(byId('connections'));

const db = SocketDBClient();
db.intercept('client:firstConnect', () => status.connected());
db.intercept('client:reconnect', () => status.connected());
db.intercept('client:disconnect', () => status.disconnected());
db.intercept('client:error', ({ code, message }) => {
	if (code === 'FORBIDDEN' && message.includes('stats')) panel.denied(message);
	else messages.report(`${code}: ${message}`);
});
db.intercept('client:message', (data: { inspector?: string; perSecond?: number; total?: number; list?: unknown }) => {
	if (data?.inspector === 'writes' && typeof data.perSecond === 'number') panel.writeRate(data.perSecond);
	if (data?.inspector === 'connections' && typeof data.total === 'number' && Array.isArray(data.list)) panel.connectionList(data.total, data.list);
});
// The marker tells the server this connection is the inspector (with a token, the cookie proves it).
db.connect(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/?inspector`);
db.subscribeStats((stats) => panel.stats(stats));

/** The selected node: what the address names, what search looks under, what export and import work on. */
let selection: TreeNodeView | undefined;
const selectedPath = () => selection?.path ?? '';
const selectedLabel = byId('selected');

const root = new TreeNodeView(
	{
		db,
		messages,
		track: (write) => status.track(write),
		selected(node) {
			if (selection !== node) selection?.deselect();
			selection = node;
			selectedLabel.textContent = node.path === '' ? '(root)' : node.path;
			if (location.hash !== hashOfPath(node.path)) history.replaceState(null, '', hashOfPath(node.path));
		},
	},
	'',
	'',
	0,
	undefined,
);
const tree = byId('tree');
tree.append(root.element);
handleTreeKeys(tree);
root.watch();

/** Opens the tree down to the node the address names. */
function followHash(): void {
	const keys = keysOfHash(location.hash);
	if (keys !== undefined && hashOfPath(selectedPath()) !== location.hash) root.reveal(keys);
}
window.addEventListener('hashchange', followHash);
if (location.hash !== '') followHash();
else root.select();

// The search looks under the selected node, or under its parent when it is a leaf.
const searchBase = () => (selection === undefined ? '' : selection.isObject ? selection.path : (selection.parent?.path ?? ''));
new Search(db, byId<HTMLInputElement>('search'), byId('results'), searchBase, (path) => root.reveal(path === '' ? [] : path.split('/')));

byId('export').addEventListener('click', () => exportSubtree(db, selectedPath()));
const importInput = byId<HTMLInputElement>('import-file');
byId('import').addEventListener('click', () => importInput.click());
importInput.addEventListener('change', () => {
	const file = importInput.files?.[0];
	importInput.value = '';
	if (file !== undefined) void importFile(db, selectedPath(), file, messages, (write) => status.track(write));
});
