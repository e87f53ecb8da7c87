import type { SocketDBClientAPI } from '@socketdb/client';

/** Most results listed. */
const LIMIT = 50;
/** How long typing pauses before the search runs (ms). */
const PAUSE_MS = 200;

/**
 * The search field: finds, under the selected node, the children whose key starts with the text
 * (asked of the server, through a query of keys only, so a collection of 100,000 children costs one
 * small answer), and the keys and values containing the text among the rows on screen. Clicking a
 * result opens the tree down to it.
 */
export class Search {
	private timer: ReturnType<typeof setTimeout> | undefined;
	/** Stops the server-side query of the search under way. */
	private stopQuery: (() => void) | undefined;
	/** Counts searches, so that an answer to an older one is dropped. */
	private round = 0;

	constructor(
		private readonly db: SocketDBClientAPI,
		private readonly input: HTMLInputElement,
		private readonly results: HTMLElement,
		/** The path searched under: the selected node's. */
		private readonly base: () => string,
		private readonly open: (path: string) => void,
	) {
		input.addEventListener('input', () => {
			clearTimeout(this.timer);
			this.timer = setTimeout(() => this.run(), PAUSE_MS);
		});
		input.addEventListener('keydown', (event) => {
			if (event.key === 'Escape') this.clear();
		});
	}

	clear(): void {
		this.input.value = '';
		this.run();
	}

	private run(): void {
		this.stopQuery?.();
		this.stopQuery = undefined;
		const round = ++this.round;
		const text = this.input.value.trim();
		if (text === '') {
			this.results.replaceChildren();
			this.results.hidden = true;
			return;
		}
		const base = this.base();
		const onScreen = matchesOnScreen(base, text);
		this.show(base, text, onScreen, true);
		// Keys from the text up to the text followed by the highest character: those starting with it.
		this.stopQuery = this.db
			.get(base)
			.orderByKey()
			.startAt(text)
			.endAt(`${text}\uf8ff`)
			.limitToFirst(LIMIT)
			.onKeys((keys) => {
				if (round !== this.round) return;
				const found = keys.filter((key) => key.startsWith(text)).map((key) => (base === '' ? key : `${base}/${key}`));
				this.show(base, text, [...new Set([...found, ...onScreen])], false);
			});
	}

	private show(base: string, text: string, paths: string[], asking: boolean): void {
		const items = paths.slice(0, LIMIT).map((path) => {
			const item = document.createElement('li');
			const link = document.createElement('button');
			link.type = 'button';
			link.className = 'result';
			link.dataset['path'] = path;
			link.textContent = path;
			link.addEventListener('click', () => this.open(path));
			item.append(link);
			return item;
		});
		const summary = document.createElement('li');
		summary.className = 'summary';
		const where = base === '' ? 'the root' : base;
		summary.textContent = asking ? `searching under ${where}…` : paths.length === 0 ? `nothing under ${where} matches “${text}”` : `${paths.length > LIMIT ? `first ${LIMIT}` : paths.length} match${paths.length === 1 ? '' : 'es'} under ${where}`;
		this.results.replaceChildren(summary, ...items);
		this.results.hidden = false;
	}
}

/** Paths of rows on screen under `base` whose key, or shown value, contains `text` (ignoring case). */
function matchesOnScreen(base: string, text: string): string[] {
	const wanted = text.toLowerCase();
	const found: string[] = [];
	for (const node of document.querySelectorAll<HTMLElement>('#tree li.node')) {
		const path = node.dataset['path'] ?? '';
		if (path === '' || (base !== '' && !path.startsWith(`${base}/`))) continue;
		const key = path.slice(path.lastIndexOf('/') + 1);
		const value = node.classList.contains('leaf') ? (node.querySelector(':scope > .row > .value')?.textContent ?? '') : '';
		if (key.toLowerCase().includes(wanted) || value.toLowerCase().includes(wanted)) found.push(path);
	}
	return found;
}
