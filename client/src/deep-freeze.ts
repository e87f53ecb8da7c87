/**
 * Freezes a JSON value and everything in it, in place, and returns it. Values handed to
 * callbacks are frozen this way; a library for it would weigh more in the browser bundle than
 * the rest of a feature.
 */
export function deepFreeze<T>(value: T): T {
	if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
	Object.freeze(value);
	for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
	return value;
}
