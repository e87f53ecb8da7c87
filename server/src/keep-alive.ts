/**
 * One timer for every connection's keep-alive (not one per client): each tick
 * closes clients that did not answer the previous ping and pings the rest.
 */
export class KeepAliveTimer {
	private readonly timer: ReturnType<typeof setInterval>;

	constructor(interval: number, check: () => void) {
		this.timer = setInterval(check, interval);
		this.timer.unref?.();
	}

	stop(): void {
		clearInterval(this.timer);
	}
}
