import type { NodeDiff } from '@socketdb/core';
import type { LogEntry, LoggedEntry } from '@socketdb/server';

/**
 * The layout of a log entry's fields; a process stops on an entry of a layout it does not know.
 * Layout 3 numbers the entries by their stream id (`0-<revision>`) and carries the time the entry
 * was logged in `t`; layouts 1 and 2 had time-based ids and the revision in a field of its own.
 */
export const ENTRY_FORMAT = 3;

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

/** The stream id of the entry with `revision`: the log's ids are the database's revisions. */
export function logId(revision: number): string {
	return `0-${revision}`;
}

/** The revision a stream id stands for; NaN for an id this layout does not make (time-based ids of layouts 1 and 2). */
export function revisionOf(id: string): number {
	return id.startsWith('0-') ? Number(id.slice(2)) : Number.NaN;
}

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
	checkFormat(id, field('v') ?? '1');
	let encoded: Encoded;
	try {
		encoded = JSON.parse(field('e') ?? '') as Encoded;
	} catch (error) {
		throw new Error(`log entry ${id} does not parse: ${(error as Error).message}`, { cause: error });
	}
	return fromEncoded(id, encoded, Number(field('t')));
}

/**
 * What an append publishes, so that the processes need not read the stream: the layout, the time
 * and the appended entries with their ids. The entries' JSON goes in as it is (not as strings),
 * so a process parses a publication once.
 */
export function encodePublication(time: number, appended: readonly (readonly [id: string, entry: string])[]): string {
	return `{"v":${ENTRY_FORMAT},"t":${time},"e":[${appended.map(([id, entry]) => `["${id}",${entry}]`).join(',')}]}`;
}

/** The entries a publication holds. @throws Error when it is not one this version reads (the stream is then read instead). */
export function decodePublication(message: string): LoggedEntry[] {
	const published = JSON.parse(message) as { v: unknown; t: unknown; e: [string, Encoded][] };
	checkFormat('published', String(published.v));
	if (!Array.isArray(published.e)) throw new Error('a publication without entries');
	return published.e.map(([id, encoded]) => fromEncoded(String(id), encoded, Number(published.t)));
}

function checkFormat(id: string, field: string): void {
	const format = Number(field);
	if (format > ENTRY_FORMAT) throw new Error(`log entry ${id} has layout ${field}; this version reads layouts up to ${ENTRY_FORMAT}: upgrade this server`);
	if (format !== ENTRY_FORMAT) throw new Error(`log entry ${id} has layout ${field}, written by an earlier version: this version cannot follow that log (start the cluster under another name)`);
}

function fromEncoded(id: string, encoded: Encoded, time: number): LoggedEntry {
	const revision = revisionOf(id);
	if (!Number.isSafeInteger(revision) || revision < 1 || !Array.isArray(encoded?.o)) throw new Error(`log entry ${id} is malformed`);
	const base = { origin: { session: String(encoded.o[0]), seq: Number(encoded.o[1]) }, revision, log: id, time: Number.isFinite(time) ? time : 0 };
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
