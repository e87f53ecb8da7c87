import type { ConnectionStats } from '@socketdb/core';

/** Seconds of history the chart shows. */
const HISTORY = 300;

/**
 * The connections panel: totals by version and route from the live stats, the live queries (each
 * with the number of connections holding it), and a chart of the last minutes.
 */
export class ConnectionsPanel {
	private readonly total = document.createElement('p');
	private readonly versions = document.createElement('ul');
	private readonly routes = document.createElement('ul');
	private readonly queries = document.createElement('ul');
	private readonly chart = document.createElement('canvas');
	private readonly connections: number[] = [];
	private readonly writes: number[] = [];
	private latest: ConnectionStats | undefined;
	private writesPerSecond = 0;

	constructor(element: HTMLElement) {
		this.total.className = 'total';
		this.total.textContent = 'waiting for stats…';
		this.versions.className = 'versions';
		this.routes.className = 'routes';
		this.queries.className = 'queries';
		this.chart.width = 360;
		this.chart.height = 120;
		this.chart.className = 'chart';
		const legend = document.createElement('p');
		legend.className = 'legend';
		legend.innerHTML = '<span class="connections">connections</span> <span class="writes">writes/s</span> (up to the last 5 minutes)';
		element.append(this.total, heading('by version'), this.versions, heading('by route'), this.routes, heading('live queries'), this.queries, this.chart, legend);
		setInterval(() => this.sample(), 1000);
	}

	stats(stats: ConnectionStats): void {
		this.latest = stats;
		this.total.textContent = `${stats.total} connected`;
		this.versions.replaceChildren(...counts(stats.versions));
		this.routes.replaceChildren(...counts(stats.routes));
		this.queries.replaceChildren(...counts(stats.queries ?? {}));
	}

	denied(message: string): void {
		this.total.textContent = `stats not available: ${message}`;
	}

	/** The server's count of writes in the last second. */
	writeRate(perSecond: number): void {
		this.writesPerSecond = perSecond;
		this.chart.dataset['writesPerSecond'] = String(perSecond);
	}

	private sample(): void {
		if (this.latest === undefined) return;
		push(this.connections, this.latest.total);
		push(this.writes, this.writesPerSecond);
		this.draw();
	}

	private draw(): void {
		const context = this.chart.getContext('2d');
		if (context === null) return;
		const { width, height } = this.chart;
		context.clearRect(0, 0, width, height);
		const peak = Math.max(1, ...this.connections, ...this.writes);
		// The x axis spans the samples there are, at least a minute, at most HISTORY seconds.
		const span = Math.max(60, this.connections.length - 1);
		const line = (values: number[], color: string) => {
			context.strokeStyle = color;
			context.lineWidth = 2;
			context.beginPath();
			values.forEach((value, index) => {
				const x = width - (values.length - 1 - index) * (width / span);
				const y = height - 4 - (value / peak) * (height - 8);
				if (index === 0) context.moveTo(x, y);
				else context.lineTo(x, y);
			});
			context.stroke();
		};
		line(this.connections, '#2563eb');
		line(this.writes, '#ea580c');
	}
}

function heading(text: string): HTMLElement {
	const element = document.createElement('h3');
	element.textContent = text;
	return element;
}

function counts(record: Record<string, number>): HTMLElement[] {
	return Object.entries(record)
		.sort((a, b) => b[1] - a[1])
		.map(([name, count]) => {
			const item = document.createElement('li');
			item.textContent = `${name}: ${count}`;
			return item;
		});
}

function push(series: number[], value: number): void {
	series.push(value);
	if (series.length > HISTORY) series.shift();
}
