/** How many messages the list keeps; older ones drop off. */
const KEEP = 5;

/**
 * The messages at the top of the data: the newest first. A message about a node's write names
 * that node's path, so the node's next successful write can take it away again.
 */
export class MessageList {
	constructor(private readonly element: HTMLElement) {}

	/** Shows `message`, filed under `path` when it is about a write from that node. */
	report(message: string, path?: string): void {
		const item = document.createElement('li');
		item.className = 'error';
		item.textContent = message;
		if (path !== undefined) item.dataset['path'] = path;
		this.element.prepend(item);
		while (this.element.children.length > KEEP) this.element.lastElementChild?.remove();
	}

	/** Takes away the messages filed under `path`. */
	clear(path: string): void {
		for (const item of [...this.element.children]) {
			if (item instanceof HTMLElement && item.dataset['path'] === path) item.remove();
		}
	}
}
