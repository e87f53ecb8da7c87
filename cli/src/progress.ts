/** A progress bar on standard error, drawn only on a terminal and at most every 100 ms. */
export class ProgressBar {
	private lastDrawn = 0;
	private readonly enabled: boolean;

	constructor(
		readonly label: string,
		private readonly total: number,
		private readonly stream: NodeJS.WriteStream = process.stderr,
	) {
		this.enabled = stream.isTTY === true && total > 0;
	}

	update(done: number): void {
		if (!this.enabled) return;
		const now = Date.now();
		if (now - this.lastDrawn < 100) return;
		this.lastDrawn = now;
		const share = Math.min(1, done / this.total);
		const width = 30;
		const filled = Math.round(share * width);
		this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.floor(share * 100)}% ${done}/${this.total}`);
	}

	finish(): void {
		if (this.enabled && this.lastDrawn > 0) this.stream.write('\n');
	}
}
