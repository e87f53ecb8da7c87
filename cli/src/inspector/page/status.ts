/** The connection state and the writes waiting for the server, always on screen. */
export class StatusBar {
	private state: 'connecting' | 'connected' | 'reconnecting' | 'offline' = 'connecting';
	private pending = 0;

	constructor(private readonly element: HTMLElement) {
		this.render();
	}

	connected(): void {
		this.state = 'connected';
		this.render();
	}

	disconnected(): void {
		this.state = navigator.onLine === false ? 'offline' : 'reconnecting';
		this.render();
	}

	/** Counts a write until it settles. */
	track(write: PromiseLike<unknown>): void {
		this.pending++;
		this.render();
		const done = () => {
			this.pending--;
			this.render();
		};
		write.then(done, done);
	}

	private render(): void {
		this.element.dataset['state'] = this.state;
		const queued = this.pending === 0 ? '' : `, ${this.pending} queued write${this.pending === 1 ? '' : 's'}`;
		this.element.textContent = `${this.state}${queued}`;
	}
}
