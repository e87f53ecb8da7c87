import type { NodeDiff } from '@socketdb/core';
import type { LogEntry, LoggedEntry } from '@socketdb/server';

/**
 * The layout of a log entry's fields; a process stops on an entry of a layout it does not know.
 * Layout 2 added entries of several paths (`p`) and server values (`{ sv }` leaves, filled in
 * when applied); layout 1 entries are read as before.
 */
export const ENTRY_FORMAT = 2;
const READABLE_FORMATS = new Set([1, 2]);

/** An entry as its `e` field holds it (JSON). */
type Encoded =
	| { o: [string, number]; k: 'u'; d: unknown }
	| { o: [string, number]; k: 'd'; p: string }
	| { o: [string, number]; k: 'p'; d?: unknown; x: string[]; w?: [path: string, value: unknown] }
	| { o: [string, number]; k: 'r'; c: string; m: string };

export function encodeEntry(entry: LogEntry): string {
	const o: [string, number] = [entry.origin.session, entry.origin.seq];
	switch (entry.kind) {
		case 'update':
			return JSON.stringify({ o, k: 'u', d: entry.data } satisfies Encoded);
		case 'delete':
			return JSON.stringify({ o, k: 'd', p: entry.path } satisfies Encoded);
		case 'paths':
			return JSON.stringify({ o, k: 'p', d: entry.data, x: [...entry.deleted], w: entry.expect === undefined ? undefined : [entry.expect.path, entry.expect.value] } satisfies Encoded);
		case 'refusal':
			return JSON.stringify({ o, k: 'r', c: entry.code, m: entry.message } satisfies Encoded);
	}
}

/** A stream entry's id and fields, as Redis returns them. */
export type StreamEntry = [id: string, fields: string[]];

/**
 * Reads a stream entry back.
 *
 * @throws Error naming the entry when its layout is unknown or it does not parse: the log cannot
 * be followed past it, and applying it wrongly would be worse than stopping.
 */
export function decodeEntry([id, fields]: StreamEntry): LoggedEntry {
	const field = (name: string) => {
		for (let i = 0; i < fields.length - 1; i += 2) if (fields[i] === name) return fields[i + 1];
		return undefined;
	};
	const format = Number(field('v'));
	if (!READABLE_FORMATS.has(format)) throw new Error(`log entry ${id} has layout ${field('v') ?? '(none)'}; this version reads layouts up to ${ENTRY_FORMAT}: upgrade this server`);
	const revision = Number(field('r'));
	let encoded: Encoded;
	try {
		encoded = JSON.parse(field('e') ?? '') as Encoded;
	} catch (error) {
		throw new Error(`log entry ${id} does not parse: ${(error as Error).message}`, { cause: error });
	}
	if (!Number.isSafeInteger(revision) || revision < 1 || !Array.isArray(encoded?.o)) throw new Error(`log entry ${id} is malformed`);
	const base = { origin: { session: String(encoded.o[0]), seq: Number(encoded.o[1]) }, revision, log: id, time: Number(id.slice(0, id.indexOf('-'))) };
	switch (encoded.k) {
		case 'u':
			return { ...base, kind: 'update', data: encoded.d as NodeDiff };
		case 'd':
			return { ...base, kind: 'delete', path: String(encoded.p) };
		case 'p': {
			if (!Array.isArray(encoded.x)) throw new Error(`log entry ${id} is malformed`);
			const deleted = encoded.x.map(String);
			const entry: LoggedEntry = encoded.d === undefined ? { ...base, kind: 'paths', deleted } : { ...base, kind: 'paths', data: encoded.d as NodeDiff, deleted };
			if (encoded.w === undefined) return entry;
			if (!Array.isArray(encoded.w) || typeof encoded.w[0] !== 'string') throw new Error(`log entry ${id} is malformed`);
			return { ...entry, expect: { path: encoded.w[0], value: encoded.w[1] ?? null } } as LoggedEntry;
		}
		case 'r':
			return { ...base, kind: 'refusal', code: String(encoded.c), message: String(encoded.m) };
		default:
			throw new Error(`log entry ${id} holds a change of unknown kind`);
	}
}
