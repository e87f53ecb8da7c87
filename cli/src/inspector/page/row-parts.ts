import type { SocketDBClientAPI } from '@socketdb/client';

// The small parts of a tree row: its buttons and how its value, meta and key count read.

/** How many children of one node are shown (and watched) before "show more"; also how far a closed node counts its keys. */
export const PAGE = 200;

export function button(text: string, name: string, onClick: () => void): HTMLButtonElement {
	const element = document.createElement('button');
	element.type = 'button';
	element.className = name;
	element.textContent = text;
	element.addEventListener('click', onClick);
	return element;
}

/** Calls `callback` with the first `count` keys of the children of `path`, in key order; the server sends nothing else. */
export function firstKeys(db: SocketDBClientAPI, path: string, count: number, callback: (keys: string[]) => void): () => void {
	return db.get(path).orderByKey().limitToFirst(count).onKeys(callback);
}

/** What a closed object shows in place of its value: its number of keys, counted up to `PAGE`. */
export function keyCount(count: number): string {
	if (count > PAGE) return `{ more than ${PAGE} keys }`;
	return `{ ${count} key${count === 1 ? '' : 's'} }`;
}

export function metaText(meta: unknown): string {
	return meta === undefined ? '' : `meta ${truncate(JSON.stringify(meta))}`;
}

export function truncate(text: string | undefined): string {
	if (text === undefined) return '';
	return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export function flash(element: HTMLElement): void {
	element.classList.remove('flash');
	void element.offsetWidth;
	element.classList.add('flash');
}
