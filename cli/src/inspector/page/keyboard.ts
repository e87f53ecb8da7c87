import { viewOfRow, type TreeNodeView } from './tree';

/**
 * Moving through the tree with the keyboard, on the focused row: up and down move between the rows
 * shown, right opens a node (or moves into it), left closes it (or moves to its parent), Enter
 * opens or closes an object and edits a leaf, Delete asks before deleting.
 */
export function handleTreeKeys(tree: HTMLElement): void {
	tree.addEventListener('keydown', (event) => {
		if ((event.target as Element).closest('form, input, select, button')) return;
		const view = viewOfRow((event.target as Element).closest('.row'));
		if (view === undefined) return;
		const handled = keyAction(tree, view, event.key);
		if (handled) event.preventDefault();
	});
}

function keyAction(tree: HTMLElement, view: TreeNodeView, key: string): boolean {
	switch (key) {
		case 'ArrowDown':
			return move(tree, view, 1);
		case 'ArrowUp':
			return move(tree, view, -1);
		case 'ArrowRight':
			if (view.isObject && !view.isOpen) view.toggleOpen();
			else move(tree, view, 1);
			return true;
		case 'ArrowLeft':
			if (view.isOpen && view.path !== '') view.toggleOpen();
			else view.parent?.select();
			return true;
		case 'Enter':
			view.activate();
			return true;
		case 'Delete':
			view.askDelete();
			return true;
		default:
			return false;
	}
}

/** Selects the row `step` rows away from `view`'s among those shown. */
function move(tree: HTMLElement, view: TreeNodeView, step: number): boolean {
	const rows = [...tree.querySelectorAll('.row')];
	const next = viewOfRow(rows[rows.indexOf(view.rowElement) + step] ?? null);
	next?.select();
	return true;
}
