import { C1, Packr, Unpackr } from 'msgpackr';

/**
 * MessagePack through msgpackr (fast, with a native decoder in Node). The browser
 * bundle swaps in `msgpack-lite.ts` through the package's `#msgpack` import.
 */
const options = {
	useRecords: false,
	variableMapSize: true,
	int64AsType: 'number',
	moreTypes: false,
	structuredClone: false,
} as const;

const packr = new Packr({ ...options, mapsAsObjects: true });

// msgpackr renames a "__proto__" map key to "__proto_" when it decodes maps into objects,
// which would hide a hostile key from validation and store it under another name. Frames
// that contain the text "__proto__" anywhere are rare, so they take a slower path that
// decodes maps as Maps and keeps the key as it was sent, for validation to refuse.
const mapUnpackr = new Unpackr({ ...options, mapsAsObjects: false });
const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"

export function pack(value: unknown): Uint8Array {
	return packr.pack(value);
}

export function unpackMultiple(bytes: Uint8Array): unknown[] {
	const values = containsProto(bytes) ? (mapUnpackr.unpackMultiple(bytes) as unknown[]).map(mapsToObjects) : (packr.unpackMultiple(bytes) as unknown[]);
	// msgpackr decodes 0xC1, a type byte MessagePack never uses, to a marker object instead of
	// failing. Only frames holding that byte at all (as a type or inside other data) are searched.
	if (bytes.includes(0xc1) && values.some(holdsC1)) throw new TypeError('0xC1 is not a MessagePack type');
	return values;
}

function holdsC1(value: unknown): boolean {
	if (value === C1) return true;
	if (typeof value !== 'object' || value === null) return false;
	if (Array.isArray(value)) {
		for (const item of value) if (holdsC1(item)) return true;
		return false;
	}
	// Decoded maps are plain objects whose keys are all their own (see mapsToObjects).
	for (const key in value) if (holdsC1((value as Record<string, unknown>)[key])) return true;
	return false;
}

function containsProto(bytes: Uint8Array): boolean {
	let from = bytes.indexOf(PROTO[0]!);
	while (from !== -1 && from + PROTO.length <= bytes.length) {
		let match = true;
		for (let i = 1; i < PROTO.length; i++) {
			if (bytes[from + i] !== PROTO[i]) {
				match = false;
				break;
			}
		}
		if (match) return true;
		from = bytes.indexOf(PROTO[0]!, from + 1);
	}
	return false;
}

function mapsToObjects(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(mapsToObjects);
	if (!(value instanceof Map)) return value;
	const object: Record<string, unknown> = {};
	for (const [key, item] of value) {
		// defineProperty keeps "__proto__" an own, visible key instead of setting the prototype.
		Object.defineProperty(object, String(key), { value: mapsToObjects(item), enumerable: true, writable: true, configurable: true });
	}
	return object;
}
