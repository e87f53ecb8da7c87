import type { ConnectionStats } from '@socketdb/core';

/** Seconds of history the chart shows. */
const HISTORY = 300;
const SVG = 'http://www.w3.org/2000/svg';
/** The chart's size and the room its axis labels take. */
const WIDTH = 360;
const HEIGHT = 150;
const LEFT = 34;
const BOTTOM = 20;
const TOP = 8;

/** One connection as the server lists it to the inspector. */
type Listed = { id: string; version?: string; route?: string; ip?: string; subscriptions: number; connectedAt: number; inspector?: true };

/**
 * The connections panel: totals by version and route from the live stats, the live queries (each
 * with the number of connections holding it), a chart of connections and writes per second over
 * the last minutes with labelled axes, and the newest connections, live.
 */
export class ConnectionsPanel {
	private readonly total = document.createElement('p');
	private readonly versions = document.createElement('ul');
	private readonly routes = document.createElement('ul');
	private readonly queries = document.createElement('ul');
	private readonly chart = document.createElementNS(SVG, 'svg');
	private readonly list = document.createElement('table');
	private readonly listNote = document.createElement('p');
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
		this.chart.setAttribute('class', 'chart');
		this.chart.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
		this.chart.setAttribute('role', 'img');
		this.chart.setAttribute('aria-label', 'connections and writes per second over the last minutes');
		const legend = document.createElement('p');
		legend.className = 'legend';
		legend.innerHTML = '<span class="connections">■ connections</span> <span class="writes">■ writes per second</span>';
		this.list.className = 'connection-list';
		this.listNote.className = 'note';
		element.append(this.total, heading('by version'), this.versions, heading('by route'), this.routes, heading('live queries'), this.queries, heading('over time'), this.chart, legend, heading('connections'), this.listNote, this.list);
		this.draw();
		setInterval(() => this.sample(), 1000);
	}

	stats(stats: ConnectionStats): void {
		this.latest = stats;
		this.total.textContent = `${stats.total} connected`;
		this.versions.replaceChildren(...counts(stats.versions, 'no client reported a version (SocketDBClient({ version }))'));
		this.routes.replaceChildren(
			...counts(stats.routes, 'no routes: a client reports the page it is on when created with routeTracking: true, and the server counts them with its routeTracking option'),
		);
		this.queries.replaceChildren(...counts(stats.queries ?? {}, 'none'));
	}

	denied(message: string): void {
		this.total.textContent = `stats not available: ${message}`;
	}

	/** The server's count of writes in the last second. */
	writeRate(perSecond: number): void {
		this.writesPerSecond = perSecond;
		this.chart.dataset['writesPerSecond'] = String(perSecond);
	}

	/** The newest connections, as the server lists them once a second. */
	connectionList(total: number, list: readonly unknown[]): void {
		const rows = (list as Listed[]).map((connection) => {
			const row = document.createElement('tr');
			row.dataset['id'] = connection.id;
			const since = new Date(connection.connectedAt);
			const cells = [
				connection.id,
				connection.inspector === true ? 'inspector' : (connection.version ?? '–'),
				connection.route ?? '–',
				connection.ip ?? '–',
				String(connection.subscriptions),
				Number.isNaN(since.getTime()) ? '–' : since.toLocaleTimeString(),
			];
			for (const text of cells) {
				const cell = document.createElement('td');
				cell.textContent = text;
				row.append(cell);
			}
			return row;
		});
		const head = document.createElement('tr');
		for (const text of ['id', 'version', 'route', 'IP', 'subscriptions', 'connected since']) {
			const cell = document.createElement('th');
			cell.textContent = text;
			head.append(cell);
		}
		this.list.replaceChildren(head, ...rows);
		this.listNote.textContent = total > list.length ? `the newest ${list.length} of ${total}` : '';
	}

	private sample(): void {
		if (this.latest === undefined) return;
		push(this.connections, this.latest.total);
		push(this.writes, this.writesPerSecond);
		this.draw();
	}

	/** Draws both series on axes: seconds ago along the bottom, the count on the left, with their numbers. */
	private draw(): void {
		const peak = niceCeiling(Math.max(1, ...this.connections, ...this.writes));
		// The x axis spans the samples there are, at least a minute, at most HISTORY seconds.
		const span = Math.max(60, this.connections.length - 1);
		const plotWidth = WIDTH - LEFT - 4;
		const plotHeight = HEIGHT - TOP - BOTTOM;
		const x = (secondsAgo: number) => LEFT + plotWidth - (secondsAgo / span) * plotWidth;
		const y = (value: number) => TOP + plotHeight - (value / peak) * plotHeight;
		const parts: SVGElement[] = [];
		for (const value of [0, peak / 2, peak]) {
			parts.push(svg('line', { class: 'grid', x1: LEFT, x2: LEFT + plotWidth, y1: y(value), y2: y(value) }));
			parts.push(text(formatCount(value), { class: 'tick y', x: LEFT - 4, y: y(value) + 4, 'text-anchor': 'end' }));
		}
		for (const secondsAgo of [span, span / 2, 0]) {
			parts.push(text(secondsAgo === 0 ? 'now' : `-${formatSeconds(secondsAgo)}`, { class: 'tick x', x: x(secondsAgo), y: HEIGHT - 5, 'text-anchor': secondsAgo === span ? 'start' : secondsAgo === 0 ? 'end' : 'middle' }));
		}
		parts.push(svg('line', { class: 'axis', x1: LEFT, x2: LEFT, y1: TOP, y2: TOP + plotHeight }));
		parts.push(svg('line', { class: 'axis', x1: LEFT, x2: LEFT + plotWidth, y1: TOP + plotHeight, y2: TOP + plotHeight }));
		const series = (values: number[], name: string) => {
			const points = values.map((value, index) => `${x(values.length - 1 - index).toFixed(1)},${y(value).toFixed(1)}`).join(' ');
			return svg('polyline', { class: `series ${name}`, points });
		};
		parts.push(series(this.connections, 'connections'), series(this.writes, 'writes'));
		this.chart.replaceChildren(...parts);
	}
}

function heading(content: string): HTMLElement {
	const element = document.createElement('h3');
	element.textContent = content;
	return element;
}

function counts(record: Record<string, number>, none: string): HTMLElement[] {
	const entries = Object.entries(record).sort((a, b) => b[1] - a[1]);
	if (entries.length === 0) {
		const item = document.createElement('li');
		item.className = 'none';
		item.textContent = none;
		return [item];
	}
	return entries.map(([name, count]) => {
		const item = document.createElement('li');
		item.textContent = `${name}: ${count}`;
		return item;
	});
}

function push(series: number[], value: number): void {
	series.push(value);
	if (series.length > HISTORY) series.shift();
}

function svg(name: string, attributes: Record<string, string | number>): SVGElement {
	const element = document.createElementNS(SVG, name);
	for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
	return element;
}

function text(content: string, attributes: Record<string, string | number>): SVGElement {
	const element = svg('text', attributes);
	element.textContent = content;
	return element;
}

/** The smallest of 1, 2, 5 times a power of ten that is at least `value`: the top of the y axis. */
function niceCeiling(value: number): number {
	const power = 10 ** Math.floor(Math.log10(value));
	for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
	return 10 * power;
}

function formatCount(value: number): string {
	return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function formatSeconds(seconds: number): string {
	return seconds >= 60 && seconds % 60 === 0 ? `${seconds / 60} min` : `${Math.round(seconds)} s`;
}
