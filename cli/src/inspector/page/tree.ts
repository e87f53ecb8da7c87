import type { SocketDBClientAPI } from '@socketdb/client';
import { compareKeys } from './keys';
import { button, firstKeys, flash, keyCount, metaText, PAGE, truncate } from './row-parts';
import { ValueForm, type FormResult } from './value-form';

/** Nodes this shallow with this few keys open by themselves, so small data is seen at a glance. */
const AUTO_OPEN_DEPTH = 2;
const AUTO_OPEN_KEYS = 10;
/** An open object whose whole subtree is on screen, with at most this many leaves, also watches its value for its meta (cheap: all below is shown). */
const META_LEAVES = 100;

/** Where refused writes are told; a node's next successful write takes its messages away. */
export type Messages = { report: (message: string, path?: string) => void; clear: (path: string) => void };

/** What every node of one tree shares. */
export type TreeContext = {
	readonly db: SocketDBClientAPI;
	readonly messages: Messages;
	/** Counts a write of the page until it settles. */
	readonly track: (write: PromiseLike<unknown>) => void;
	/** A node was selected: by a click, the keyboard, a link or a search result. */
	readonly selected: (node: TreeNodeView) => void;
};

/** The node view of each row, for the keyboard (which works on the focused row). */
const viewsByRow = new WeakMap<Element, TreeNodeView>();

/** The node view a row element belongs to. */
export function viewOfRow(row: Element | null): TreeNodeView | undefined {
	return row === null ? undefined : viewsByRow.get(row);
}

/**
 * One node of the live tree. A node watches only the first keys of its children, a page at a
 * time, through a query of keys only (`orderByKey().limitToFirst(n).onKeys`) that the server
 * evaluates: a collection of a million children costs one page. Each shown child counts its own
 * first keys the same way; a child without keys also watches its value (a leaf is cheap to
 * watch). So only expanded nodes cost subscriptions, whatever the size of the tree below.
 */
export class TreeNodeView {
	readonly element = document.createElement('li');
	private readonly row = document.createElement('div');
	private readonly toggle = document.createElement('button');
	private readonly label = document.createElement('span');
	private readonly typeView = document.createElement('span');
	private readonly valueView = document.createElement('span');
	private readonly metaView = document.createElement('span');
	private readonly actions = document.createElement('span');
	private readonly childList = document.createElement('ul');
	private readonly children = new Map<string, TreeNodeView>();
	private keys: string[] = [];
	/** Keys shown although they are not on the page shown (a link or a search result led to them). */
	private readonly pinned = new Set<string>();
	/** Where a link leads below this node, once its children are there. */
	private revealing: string[] | undefined;
	/** How many children are shown; one more key is asked for, to know whether there are more. */
	private shown = PAGE;
	private more = false;
	private expanded = false;
	/** True once the user opened or closed this node: it no longer opens by itself. */
	private touched = false;
	private seenValue = false;
	private stopKeys: (() => void) | undefined;
	private stopValue: (() => void) | undefined;
	/** Watches this object's value for its meta, while its subtree is small and shown. */
	private stopMeta: (() => void) | undefined;
	private kind: 'unknown' | 'leaf' | 'object' = 'unknown';
	private stopChildKeys: (() => void) | undefined;
	/** Stops waiting for the value an open edit form asked for. */
	private stopForm: (() => void) | undefined;

	private readonly db: SocketDBClientAPI;

	constructor(
		private readonly context: TreeContext,
		readonly path: string,
		key: string,
		private readonly depth: number,
		readonly parent: TreeNodeView | undefined,
	) {
		this.db = context.db;
		this.element.className = 'node';
		this.element.dataset['path'] = path;
		this.element.setAttribute('role', 'treeitem');
		this.row.className = 'row';
		this.row.tabIndex = -1;
		viewsByRow.set(this.row, this);
		this.row.addEventListener('click', (event) => {
			if (!(event.target as Element).closest('button, form')) this.select();
		});
		this.toggle.className = 'toggle';
		this.toggle.type = 'button';
		this.toggle.tabIndex = -1;
		this.toggle.setAttribute('aria-label', 'open or close');
		this.toggle.addEventListener('click', () => this.toggleOpen());
		this.label.className = 'key';
		this.label.textContent = key === '' ? '(root)' : key;
		this.typeView.className = 'type';
		this.valueView.className = 'value';
		this.metaView.className = 'meta';
		this.actions.className = 'actions';
		this.row.append(this.toggle, this.label, this.typeView, this.valueView, this.metaView, this.actions);
		this.childList.className = 'children';
		this.element.append(this.row, this.childList);
	}

	/** Starts watching whether this node has children, and its value while it has none. */
	watch(): void {
		if (this.path === '') return this.expand();
		this.stopChildKeys = firstKeys(this.db, this.path, PAGE + 1, (keys) => this.kindChanged(keys.length > 0, keys.length));
	}

	dispose(): void {
		this.stopChildKeys?.();
		this.stopValue?.();
		this.stopMeta?.();
		this.stopMeta = undefined;
		this.stopForm?.();
		this.collapse();
		this.element.remove();
	}

	private kindChanged(isObject: boolean, count: number): void {
		this.kind = isObject ? 'object' : 'leaf';
		this.element.classList.toggle('object', isObject);
		this.element.classList.toggle('leaf', !isObject);
		if (isObject) {
			this.stopValue?.();
			this.stopValue = undefined;
			this.seenValue = false;
			this.valueView.textContent = this.expanded ? '' : keyCount(count);
			this.typeView.textContent = 'object';
			this.metaView.textContent = '';
			this.toggle.textContent = this.expanded ? '▾' : '▸';
			if (!this.touched && !this.expanded && count <= AUTO_OPEN_KEYS && this.depth <= AUTO_OPEN_DEPTH) this.expand();
		} else {
			if (this.expanded) this.collapse();
			this.toggle.textContent = '·';
			this.stopValue ??= this.db.get(this.path).on((value, meta) => this.showValue(value, meta));
		}
		this.renderActions(isObject);
		this.subtreeChanged();
	}

	/** Something below changed shape: decide again whether this object (and its ancestors) show meta. */
	private subtreeChanged(): void {
		const small = this.kind === 'object' && this.expanded && this.path !== '' && this.leavesShown(META_LEAVES) >= 0;
		if (small && this.stopMeta === undefined) {
			this.stopMeta = this.db.get(this.path).on((_value, meta) => void (this.metaView.textContent = metaText(meta)));
		} else if (!small && this.stopMeta !== undefined) {
			this.stopMeta();
			this.stopMeta = undefined;
			if (this.kind === 'object') this.metaView.textContent = '';
		}
		this.parent?.subtreeChanged();
	}

	/** What is left of `budget` after counting the leaves below, or -1 when some part is not shown or too big. */
	private leavesShown(budget: number): number {
		if (this.kind === 'leaf') return budget - 1;
		if (this.kind !== 'object' || !this.expanded || this.children.size < this.keys.length) return -1;
		for (const child of this.children.values()) {
			budget = child.leavesShown(budget);
			if (budget < 0) return -1;
		}
		return budget;
	}

	private showValue(value: unknown, meta: unknown): void {
		this.typeView.textContent = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
		this.valueView.textContent = truncate(JSON.stringify(value));
		this.metaView.textContent = metaText(meta);
		if (this.seenValue) flash(this.row);
		this.seenValue = true;
	}

	expand(): void {
		if (this.expanded) return;
		this.expanded = true;
		this.toggle.textContent = '▾';
		if (this.path !== '') this.valueView.textContent = '';
		this.watchPage();
		if (this.path === '') this.renderActions(true);
	}

	/** Watches the keys of the children shown, and one more. */
	private watchPage(): void {
		this.stopKeys?.();
		this.stopKeys = firstKeys(this.db, this.path, this.shown + 1, (keys) => {
			this.more = keys.length > this.shown;
			// All children on screen sort naturally (item2 before item10); a larger collection is
			// paged, so it keeps the database's key order, in which the pages follow each other.
			this.keys = this.more ? keys.slice(0, this.shown) : keys.sort(compareKeys);
			this.renderChildren();
			this.subtreeChanged();
		});
	}

	collapse(): void {
		if (!this.expanded) return;
		this.expanded = false;
		this.stopKeys?.();
		this.stopKeys = undefined;
		for (const child of this.children.values()) child.dispose();
		this.children.clear();
		this.pinned.clear();
		this.childList.replaceChildren();
		this.toggle.textContent = '▸';
		if (this.keys.length > 0 && this.path !== '') this.valueView.textContent = keyCount(this.more ? PAGE + 1 : this.keys.length);
		this.shown = PAGE;
		this.subtreeChanged();
	}

	private renderChildren(): void {
		const visible = [...this.keys];
		const wanted = new Set([...visible, ...this.pinned]);
		for (const [key, child] of this.children) {
			if (!wanted.has(key)) {
				child.dispose();
				this.children.delete(key);
			}
		}
		const items: HTMLElement[] = [];
		const shown = new Set(visible);
		for (const key of this.pinned) if (!shown.has(key)) visible.push(key);
		for (const key of visible) {
			let child = this.children.get(key);
			if (child === undefined) {
				child = new TreeNodeView(this.context, this.path === '' ? key : `${this.path}/${key}`, key, this.depth + 1, this);
				this.children.set(key, child);
				child.watch();
			}
			child.element.classList.toggle('pinned', !shown.has(key));
			items.push(child.element);
		}
		if (this.more) {
			const more = document.createElement('li');
			const button = document.createElement('button');
			button.type = 'button';
			button.className = 'more';
			button.textContent = `show up to ${PAGE} more`;
			button.addEventListener('click', () => {
				this.shown += PAGE;
				this.watchPage();
			});
			more.append(button);
			items.push(more);
		}
		// Moving rows around takes the focus from the one that had it (the keyboard works on it): it gets it back.
		const focused = document.activeElement;
		this.childList.replaceChildren(...items);
		if (focused instanceof HTMLElement && focused !== document.activeElement && this.childList.contains(focused)) focused.focus({ preventScroll: true });
		const revealing = this.revealing;
		if (revealing !== undefined) {
			this.revealing = undefined;
			this.children.get(revealing[0]!)?.reveal(revealing.slice(1));
		}
	}

	/** Opens this node down to the path below it that `segments` name, and selects the node there. */
	reveal(segments: readonly string[]): void {
		if (segments.length === 0) return this.select();
		const [key, ...rest] = segments as [string, ...string[]];
		this.touched = true;
		this.pinned.add(key);
		this.revealing = [key, ...rest];
		if (!this.expanded) this.expand();
		else this.renderChildren();
	}

	/** Marks this node as the selected one, focuses its row and shows it. */
	select(): void {
		this.row.classList.add('selected');
		this.row.setAttribute('aria-selected', 'true');
		this.row.tabIndex = 0;
		this.row.focus({ preventScroll: true });
		this.row.scrollIntoView({ block: 'nearest' });
		flash(this.row);
		this.context.selected(this);
	}

	/** Another node was selected. */
	deselect(): void {
		this.row.classList.remove('selected');
		this.row.removeAttribute('aria-selected');
		this.row.tabIndex = -1;
	}

	/** The row element (for moving through the tree with the keyboard). */
	get rowElement(): HTMLElement {
		return this.row;
	}

	get isOpen(): boolean {
		return this.expanded;
	}

	get isObject(): boolean {
		return this.kind === 'object' || this.path === '';
	}

	/** Opens a closed object, closes an open one. */
	toggleOpen(): void {
		this.touched = true;
		if (this.expanded) this.collapse();
		else this.expand();
	}

	/** Enter on a row: an object opens or closes, a leaf's value is edited. */
	activate(): void {
		if (this.isObject) this.toggleOpen();
		else this.openForm('edit');
	}

	/** Delete on a row: asks, then deletes the node. */
	askDelete(): void {
		if (this.path === '' || !confirm(`Delete ${this.path} and everything below it?`)) return;
		this.write(this.db.get(this.path).delete());
	}

	private renderActions(isObject: boolean): void {
		const buttons: HTMLElement[] = [];
		if (isObject) buttons.push(button('+ child', 'add', () => this.openForm('add')));
		else buttons.push(button('edit', 'edit', () => this.openForm('edit')));
		buttons.push(button('copy path', 'copy', () => this.copyPath()));
		if (this.path !== '') buttons.push(this.deleteButton());
		this.actions.replaceChildren(...buttons);
	}

	/** Puts the node's path on the clipboard, and says so on the button for a moment. */
	private copyPath(): void {
		const copy = this.actions.querySelector<HTMLButtonElement>('button.copy');
		navigator.clipboard.writeText(this.path).then(
			() => {
				if (copy === null) return;
				copy.textContent = 'copied';
				setTimeout(() => (copy.textContent = 'copy path'), 1500);
			},
			(error: unknown) => this.context.messages.report(`copying the path failed: ${String(error)}`),
		);
	}

	/** Deleting takes two clicks: the first asks. */
	private deleteButton(): HTMLElement {
		const remove = button('delete', 'delete', () => {
			if (remove.dataset['armed'] !== 'yes') {
				remove.dataset['armed'] = 'yes';
				remove.textContent = 'delete?';
				return;
			}
			this.write(this.db.get(this.path).delete());
		});
		return remove;
	}

	/** Opens the edit form (filled with the whole stored value, read afresh) or the add-child form. */
	private openForm(kind: 'edit' | 'add'): void {
		this.closeForm();
		const form = new ValueForm({ kind, save: (result) => this.save(kind, result), close: () => this.closeForm() });
		this.row.append(form.element);
		if (kind === 'edit') this.stopForm = this.db.get(this.path).once((value) => form.load(value));
		form.focus();
	}

	private closeForm(): void {
		this.stopForm?.();
		this.stopForm = undefined;
		this.row.querySelector('form')?.remove();
	}

	private save(kind: 'edit' | 'add', { key, value }: FormResult): void {
		const target = kind === 'edit' ? this.path : this.path === '' ? key : `${this.path}/${key}`;
		this.write(this.db.get(target).set(value as never), target);
		if (kind === 'add') {
			this.touched = true;
			this.expand();
		}
	}

	/**
	 * Sends a write through the normal write path, so hooks apply. A refusal shows its reason on
	 * this node and in the messages; the node's next write that succeeds takes both away.
	 */
	private write(outcome: PromiseLike<void>, target = this.path): void {
		this.context.track(outcome);
		outcome.then(
			() => {
				delete this.row.dataset['error'];
				this.context.messages.clear(this.path);
			},
			(error: { code?: string; message?: string }) => {
				const reason = `${error.code ?? 'ERROR'}: ${error.message ?? String(error)}`;
				this.row.dataset['error'] = reason;
				this.context.messages.report(`${target === '' ? '(root)' : target}: ${reason}`, this.path);
			},
		);
	}
}
