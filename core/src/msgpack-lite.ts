/**
 * A small MessagePack codec for the JSON subset the protocol uses (nil, booleans,
 * numbers, strings, arrays, maps with string keys). The browser bundle uses it
 * instead of msgpackr to stay small; the bytes are standard MessagePack, so either
 * side may use either codec. Decoding also accepts binary and 64-bit integers.
 */

// TextEncoder and TextDecoder exist in browsers, Node and every other JS runtime; they are
// looked up on globalThis so core type-checks without DOM or Node types.
type Utf8Encoder = { encodeInto(text: string, into: Uint8Array): { written: number } };
type Utf8Decoder = { decode(bytes: Uint8Array): string };
const globals = globalThis as unknown as { TextEncoder: new () => Utf8Encoder; TextDecoder: new () => Utf8Decoder };
const encoder = new globals.TextEncoder();
const decoder = new globals.TextDecoder();

class Writer {
	bytes = new Uint8Array(256);
	view = new DataView(this.bytes.buffer);
	length = 0;

	reserve(size: number): void {
		if (this.length + size <= this.bytes.length) return;
		let capacity = this.bytes.length * 2;
		while (capacity < this.length + size) capacity *= 2;
		const grown = new Uint8Array(capacity);
		grown.set(this.bytes.subarray(0, this.length));
		this.bytes = grown;
		this.view = new DataView(grown.buffer);
	}

	byte(value: number): void {
		this.reserve(1);
		this.bytes[this.length++] = value;
	}

	/** A type byte followed by a big-endian unsigned length of 1, 2 or 4 bytes. */
	header(type: number, size: 1 | 2 | 4, value: number): void {
		this.reserve(1 + size);
		this.bytes[this.length++] = type;
		if (size === 1) this.view.setUint8(this.length, value);
		else if (size === 2) this.view.setUint16(this.length, value);
		else this.view.setUint32(this.length, value);
		this.length += size;
	}
}

function writeLength(writer: Writer, length: number, fix: number, fixMax: number, codes: [number, number, number], has8: boolean): void {
	if (length < fixMax) writer.byte(fix | length);
	else if (has8 && length < 0x100) writer.header(codes[0], 1, length);
	else if (length < 0x10000) writer.header(codes[1], 2, length);
	else writer.header(codes[2], 4, length);
}

function write(writer: Writer, value: unknown): void {
	switch (typeof value) {
		case 'boolean':
			return writer.byte(value ? 0xc3 : 0xc2);
		case 'number':
			return writeNumber(writer, value);
		case 'string': {
			const maxBytes = value.length * 3;
			writer.reserve(maxBytes + 5);
			const start = writer.length;
			// Write the text first, then move it if its header needs more than one byte.
			const { written } = encoder.encodeInto(value, writer.bytes.subarray(start + 5, start + 5 + maxBytes));
			const text = writer.bytes.slice(start + 5, start + 5 + written);
			writeLength(writer, written, 0xa0, 32, [0xd9, 0xda, 0xdb], true);
			writer.bytes.set(text, writer.length);
			writer.length += written;
			return;
		}
		case 'object': {
			if (value === null) return writer.byte(0xc0);
			if (Array.isArray(value)) {
				writeLength(writer, value.length, 0x90, 16, [0, 0xdc, 0xdd], false);
				for (const item of value) write(writer, item);
				return;
			}
			if (value instanceof Uint8Array) {
				writeLength(writer, value.length, 0, 0, [0xc4, 0xc5, 0xc6], true);
				writer.reserve(value.length);
				writer.bytes.set(value, writer.length);
				writer.length += value.length;
				return;
			}
			const keys = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
			writeLength(writer, keys.length, 0x80, 16, [0, 0xde, 0xdf], false);
			for (const key of keys) {
				write(writer, key);
				write(writer, (value as Record<string, unknown>)[key]);
			}
			return;
		}
		case 'undefined':
			return writer.byte(0xc0);
		default:
			throw new TypeError(`cannot encode a ${typeof value}`);
	}
}

function writeNumber(writer: Writer, value: number): void {
	if (Number.isInteger(value) && Math.abs(value) <= 0xffffffff) {
		if (value >= 0) {
			if (value < 0x80) return writer.byte(value);
			if (value < 0x100) return writer.header(0xcc, 1, value);
			if (value < 0x10000) return writer.header(0xcd, 2, value);
			return writer.header(0xce, 4, value);
		}
		if (value >= -32) return writer.byte(value & 0xff);
		if (value >= -0x80) return writer.header(0xd0, 1, value & 0xff);
		if (value >= -0x8000) return writer.header(0xd1, 2, value & 0xffff);
		if (value >= -0x80000000) return writer.header(0xd2, 4, value >>> 0);
	}
	writer.reserve(9);
	writer.bytes[writer.length++] = 0xcb;
	writer.view.setFloat64(writer.length, value);
	writer.length += 8;
}

/** Encodes one value. */
export function pack(value: unknown): Uint8Array {
	const writer = new Writer();
	write(writer, value);
	return writer.bytes.slice(0, writer.length);
}

class Reader {
	offset = 0;
	readonly view: DataView;

	constructor(readonly bytes: Uint8Array) {
		this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	}

	need(size: number): number {
		const at = this.offset;
		if (at + size > this.bytes.length) throw new RangeError('unexpected end of MessagePack data');
		this.offset += size;
		return at;
	}

	read(): unknown {
		const type = this.bytes[this.need(1)]!;
		if (type < 0x80) return type;
		if (type < 0x90) return this.map(type & 0x0f);
		if (type < 0xa0) return this.array(type & 0x0f);
		if (type < 0xc0) return this.string(type & 0x1f);
		if (type >= 0xe0) return type - 0x100;
		const view = this.view;
		switch (type) {
			case 0xc0:
				return null;
			case 0xc2:
				return false;
			case 0xc3:
				return true;
			case 0xc4:
				return this.binary(view.getUint8(this.need(1)));
			case 0xc5:
				return this.binary(view.getUint16(this.need(2)));
			case 0xc6:
				return this.binary(view.getUint32(this.need(4)));
			case 0xca:
				return view.getFloat32(this.need(4));
			case 0xcb:
				return view.getFloat64(this.need(8));
			case 0xcc:
				return view.getUint8(this.need(1));
			case 0xcd:
				return view.getUint16(this.need(2));
			case 0xce:
				return view.getUint32(this.need(4));
			case 0xcf:
				return Number(view.getBigUint64(this.need(8)));
			case 0xd0:
				return view.getInt8(this.need(1));
			case 0xd1:
				return view.getInt16(this.need(2));
			case 0xd2:
				return view.getInt32(this.need(4));
			case 0xd3:
				return Number(view.getBigInt64(this.need(8)));
			case 0xd9:
				return this.string(view.getUint8(this.need(1)));
			case 0xda:
				return this.string(view.getUint16(this.need(2)));
			case 0xdb:
				return this.string(view.getUint32(this.need(4)));
			case 0xdc:
				return this.array(view.getUint16(this.need(2)));
			case 0xdd:
				return this.array(view.getUint32(this.need(4)));
			case 0xde:
				return this.map(view.getUint16(this.need(2)));
			case 0xdf:
				return this.map(view.getUint32(this.need(4)));
			default:
				throw new TypeError(`unsupported MessagePack type 0x${type.toString(16)}`);
		}
	}

	string(length: number): string {
		const at = this.need(length);
		return decoder.decode(this.bytes.subarray(at, at + length));
	}

	binary(length: number): Uint8Array {
		const at = this.need(length);
		return this.bytes.slice(at, at + length);
	}

	array(length: number): unknown[] {
		const items = new Array<unknown>(length);
		for (let i = 0; i < length; i++) items[i] = this.read();
		return items;
	}

	map(length: number): Record<string, unknown> {
		const object: Record<string, unknown> = {};
		for (let i = 0; i < length; i++) {
			const key = this.read();
			if (typeof key !== 'string') throw new TypeError('map keys must be strings');
			// defineProperty keeps a "__proto__" key an own property instead of a prototype.
			Object.defineProperty(object, key, { value: this.read(), enumerable: true, writable: true, configurable: true });
		}
		return object;
	}
}

/** Decodes every value in `bytes`, one after another. */
export function unpackMultiple(bytes: Uint8Array): unknown[] {
	const reader = new Reader(bytes);
	const values: unknown[] = [];
	while (reader.offset < bytes.length) values.push(reader.read());
	return values;
}
