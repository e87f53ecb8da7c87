import { describe, expect, test } from 'vitest';
import { nodeify, SocketDBError, type LogPosition, type Node } from '@socketdb/core';
import type { HookSubject } from './call-hook';
import { ReplicatedLog, type LogTarget } from './replicated-log';
import { recordingReplication } from './recording-replication';
import type { LogEntry, LoggedEntry } from './replication';

const writer: HookSubject = { client: { id: 'c1', context: {}, close: () => undefined } } as unknown as HookSubject;

/** A log kept in memory: appends are numbered in order, and the test hands them back when it wants. */
function harness() {
	const { replication, appended } = recordingReplication();
	let position: LogPosition = { revision: 0 };
	const applied: LoggedEntry[] = [];
	let root: Node = nodeify({});
	const target: LogTarget = {
		position: () => position,
		empty: () => true,
		setDatabase: () => undefined,
		applyLogged: (entry) => {
			applied.push(entry);
			position = { revision: entry.revision, log: entry.log };
		},
		skip: (entry) => (position = { revision: entry.revision, log: entry.log }),
		load: (loaded, at) => {
			root = loaded;
			position = at;
		},
		snapshot: () => ({ root, position }),
		othersChanged: () => undefined,
		report: () => undefined,
		fail: () => undefined,
	};
	const log = new ReplicatedLog(replication, target);
	let revision = 0;
	const logged = (entry: LogEntry): LoggedEntry => ({ ...entry, revision: ++revision, log: `${revision}-0`, time: 1_000 + revision });
	return { log, appended, applied, logged, flush: () => new Promise((resolve) => setTimeout(resolve, 0)) };
}

describe('ReplicatedLog', () => {
	test('a write settles once its entry is applied; the same origin logged twice is applied once', async () => {
		const { log, appended, applied, logged, flush } = harness();
		let settled = false;
		const write = log.submit({ origin: { session: 's', seq: 1 }, kind: 'update', data: nodeify({ a: 1 }) }, writer).then(() => (settled = true));
		await flush();
		expect(appended).toHaveLength(1);
		expect(settled).toBe(false);
		log.apply(logged(appended[0]!));
		log.apply(logged(appended[0]!));
		await write;
		expect(applied).toHaveLength(1);
	});

	test('a snapshot that covers a waiting write answers it as the snapshot decided, and dedupes after it', async () => {
		const a = harness();
		const b = harness();
		// Process A applies two writes of session s (the second refused); its snapshot goes to B.
		a.log.apply(a.logged({ origin: { session: 's', seq: 1 }, kind: 'update', data: nodeify({ x: 1 }) }));
		a.log.apply(a.logged({ origin: { session: 's', seq: 2 }, kind: 'refusal', code: 'FORBIDDEN', message: 'no' }));
		const outcomes: string[] = [];
		void b.log.submit({ origin: { session: 's', seq: 1 }, kind: 'update', data: nodeify({ x: 1 }) }, writer).then(() => outcomes.push('1 applied'));
		void b.log.submit({ origin: { session: 's', seq: 2 }, kind: 'update', data: nodeify({ x: 2 }) }, writer).catch((error: SocketDBError) => outcomes.push(`2 ${error.code}`));
		void b.log.submit({ origin: { session: 's', seq: 3 }, kind: 'update', data: nodeify({ x: 3 }) }, writer).then(() => outcomes.push('3 applied'));
		await b.flush();
		b.log.load(a.log.snapshot());
		await b.flush();
		expect(outcomes).toEqual(['1 applied', '2 FORBIDDEN']);
		expect(b.log.decisionOf({ session: 's', seq: 1 })).toBe('applied');
		// Write 3 was not in the snapshot: it waits for its entry.
		b.log.apply({ ...b.logged(b.appended[2]!), revision: 3, log: '3-0' });
		await b.flush();
		expect(outcomes).toEqual(['1 applied', '2 FORBIDDEN', '3 applied']);
	});
});
