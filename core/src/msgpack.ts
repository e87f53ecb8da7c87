import { Packr } from 'msgpackr';

/**
 * MessagePack through msgpackr (fast, with a native decoder in Node). The browser
 * bundle swaps in `msgpack-lite.ts` through the package's `#msgpack` import.
 */
const packr = new Packr({
	useRecords: false,
	mapsAsObjects: true,
	variableMapSize: true,
	int64AsType: 'number',
	moreTypes: false,
	structuredClone: false,
});

export function pack(value: unknown): Uint8Array {
	return packr.pack(value);
}

export function unpackMultiple(bytes: Uint8Array): unknown[] {
	return packr.unpackMultiple(bytes) as unknown[];
}
