/** `{ k0: { f0: <offset>, f1: <offset + 1>, ... }, ... }`: `groups` objects of `size` numbered leaves each. */
export function grid(groups: number, size: number, offset = 0): Record<string, Record<string, number>> {
	const data: Record<string, Record<string, number>> = {};
	for (let g = 0; g < groups; g++) {
		const group: Record<string, number> = {};
		for (let f = 0; f < size; f++) group[`f${f}`] = offset + g * size + f;
		data[`k${g}`] = group;
	}
	return data;
}
