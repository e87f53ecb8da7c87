import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebsocketServer, SocketDBServer, type SocketDBServerOptions } from '@socketdb/server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const BUNDLE = 'client/dist/socketdb-client.browser.js';

/** Launches Debian's headless Chromium (never a downloaded browser) with a fresh profile. */
export async function launchChromium(): Promise<Browser> {
	if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}; install it with: apt-get install -y chromium`);
	return chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
}

/** Builds the browser bundle exactly as `npm run build` does and returns its text. */
export function buildBrowserBundle(): string {
	execFileSync(process.execPath, ['scripts/build.mjs', '--quiet', '--browser-only'], { stdio: 'inherit' });
	return readFileSync(BUNDLE, 'utf8');
}

/**
 * An HTTP server on 127.0.0.1 serving a page that loads the bundle and exposes a connected
 * client as `window.db`, at `/` and at any other path (for route tracking). The query string
 * sets client options: `?routeTracking` and `?version=1.2.3`. Attach a SocketDB server to it
 * so the client's default URL (the page's own host) reaches the database.
 */
async function startPageServer(bundle: string): Promise<{ http: Server; url: string }> {
	const page = `<!doctype html><meta charset="utf-8"><title>SocketDB test page</title>
<script type="module">
import { SocketDBClient } from '/socketdb-client.browser.js';
const params = new URLSearchParams(location.search);
const db = SocketDBClient({ routeTracking: params.has('routeTracking'), version: params.get('version') ?? undefined });
db.connect();
window.db = db;
window.socketdbReady = true;
</script>`;
	const http = createServer((req, res) => {
		const chunk = /^\/browser-chunks\/[\w-]+\.js$/.exec(req.url ?? '');
		if (req.url === '/socketdb-client.browser.js') {
			res.writeHead(200, { 'Content-Type': 'text/javascript' });
			res.end(bundle);
		} else if (chunk !== null && existsSync(`client/dist${chunk[0]}`)) {
			// The parts the bundle imports when it needs them, served beside it as an application serves them.
			res.writeHead(200, { 'Content-Type': 'text/javascript' });
			res.end(readFileSync(`client/dist${chunk[0]}`));
		} else if (req.url?.startsWith('/') && !req.url.startsWith('/favicon')) {
			res.writeHead(200, { 'Content-Type': 'text/html' });
			res.end(page);
		} else {
			res.writeHead(404);
			res.end();
		}
	});
	await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
	return { http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/` };
}

export type BrowserRig = { browser: Browser; server: ReturnType<typeof SocketDBServer>; pageUrl: string; close: () => Promise<void> };

/**
 * The test page's server with a SocketDB server on it (keep-alive off, errors kept quiet, plus
 * `options`), and a Chromium to open the page in. `close()` stops all three.
 */
export async function startBrowserRig(options: SocketDBServerOptions = {}): Promise<BrowserRig> {
	const { http, url: pageUrl } = await startPageServer(buildBrowserBundle());
	const server = SocketDBServer({ keepAliveInterval: 0, onError: () => undefined, ...options, socketServer: createWebsocketServer({ server: http }) });
	server.listen();
	const browser = await launchChromium();
	return {
		browser,
		server,
		pageUrl,
		async close() {
			await browser.close();
			await server.close();
			await new Promise((resolve) => http.close(resolve));
		},
	};
}

/**
 * An example (`node <script>`, as its npm script runs it, on a free port) and a Chromium, for the
 * tests of one file: started before them, stopped after. `newPage()` opens the example's page.
 */
export function exampleInBrowser(script: string): { newPage: () => Promise<Page> } {
	let browser: Browser | undefined;
	let child: ChildProcess | undefined;
	let url = '';
	beforeAll(async () => {
		child = spawn(process.execPath, [script], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
		url = await new Promise<string>((resolve, reject) => {
			let output = '';
			child!.stdout!.on('data', (chunk: Buffer) => {
				output += chunk.toString();
				const match = /example at (http:\S+)/.exec(output);
				if (match !== null) resolve(match[1]!);
			});
			child!.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
		});
		browser = await launchChromium();
	}, 60_000);
	afterAll(async () => {
		await browser?.close();
		child?.kill('SIGTERM');
	});
	return {
		async newPage() {
			const page = await browser!.newPage();
			await page.goto(url);
			return page;
		},
	};
}
