/**
 * Something that arrives later (a module loaded on demand): `call` runs at once once it is
 * there, and before that waits with the other early calls, in order.
 */
export function deferred<T>(arrival: Promise<T>): { call(use: (value: T) => void): void; readonly ready: Promise<T> } {
	let value: T | undefined;
	let early: ((value: T) => void)[] | undefined = [];
	const ready = arrival.then((arrived) => {
		value = arrived;
		for (const use of early!) use(arrived);
		early = undefined;
		return arrived;
	});
	return {
		call(use) {
			if (early === undefined) use(value as T);
			else early.push(use);
		},
		ready,
	};
}
