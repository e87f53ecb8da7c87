/** The route the browser shows now, or undefined outside a browser. */
export function browserRoute(): string | undefined {
	return (globalThis as { location?: { pathname?: string } }).location?.pathname;
}

/**
 * Calls `onRoute` with the route after every history navigation (see `route-tracking.ts`, loaded
 * apart: a chunk of its own in the browser bundle). A navigation while it loads is caught up with.
 */
export function followBrowserRoute(onRoute: (route: string) => void): void {
	void import('./route-tracking').then(({ followHistory }) => followHistory(onRoute));
}
