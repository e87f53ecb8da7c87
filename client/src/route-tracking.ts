/**
 * Follows the browser's current route (`location.pathname`): history navigations
 * (`pushState`, `replaceState`, back and forward) call `onRoute` with the new path, and so does
 * this call, with the route now.
 * Returns the function that stops following; outside a browser it does nothing.
 */
export function followHistory(onRoute: (route: string) => void): () => void {
	const scope = globalThis as unknown as { location?: { pathname: string }; history?: History; addEventListener?: Window['addEventListener']; removeEventListener?: Window['removeEventListener'] };
	if (scope.location === undefined || scope.history === undefined || scope.addEventListener === undefined) return () => undefined;
	patchHistory(scope.history, scope as unknown as Window);
	const check = () => onRoute(scope.location!.pathname);
	scope.addEventListener(NAVIGATED, check);
	scope.addEventListener('popstate', check);
	// Navigations before this was called are caught up with.
	check();
	return () => {
		scope.removeEventListener?.(NAVIGATED, check);
		scope.removeEventListener?.('popstate', check);
	};
}

const NAVIGATED = 'socketdb:navigated';
const patched = new WeakSet<History>();

/** `pushState` and `replaceState` fire no event of their own: wrap them (once) to fire one. */
function patchHistory(history: History, target: Window): void {
	if (patched.has(history)) return;
	patched.add(history);
	for (const method of ['pushState', 'replaceState'] as const) {
		const original = history[method];
		history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
			const result = original.apply(this, args);
			target.dispatchEvent(new Event(NAVIGATED));
			return result;
		};
	}
}
