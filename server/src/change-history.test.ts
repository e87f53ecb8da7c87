import { nodeify } from '@socketdb/core';
import { describe, expect, test } from 'vitest';
import { ChangeHistory } from './change-history';

const revisions = (entries: readonly { revision: number }[] | undefined) => entries?.map((entry) => entry.revision);

describe('ChangeHistory', () => {
	test('hands out the changes after a revision, from the revision it started at to the latest', () => {
		const history = new ChangeHistory(10);
		expect(revisions(history.since(10, 10))).toEqual([]);
		history.record(11, { diff: nodeify({ a: 1 }) });
		history.record(12, { deleted: 'a' });
		history.record(13, { diff: nodeify({ b: 2 }) });
		expect(revisions(history.since(10, 13))).toEqual([11, 12, 13]);
		expect(revisions(history.since(12, 13))).toEqual([13]);
		expect(revisions(history.since(13, 13))).toEqual([]);
		expect(history.since(12, 13)![0]).toEqual({ revision: 13, diff: nodeify({ b: 2 }), bytes: expect.any(Number) });
		expect(history.since(11, 13)![0]).toMatchObject({ revision: 12, deleted: 'a' });
	});

	test('a write of several paths records its changes under one revision, handed out together', () => {
		const history = new ChangeHistory(0);
		history.record(1, { deleted: 'a' });
		history.record(2, { deleted: 'b/c' }, { deleted: 'b/d' }, { diff: nodeify({ b: { e: 1 } }) });
		history.record(3, { deleted: 'f' });
		expect(revisions(history.since(1, 3))).toEqual([2, 2, 2, 3]);
		expect(revisions(history.since(2, 3))).toEqual([3]);
		expect(history.size).toBe(5);
	});

	test('a revision whose first changes were dropped for the bound is not handed out in part', () => {
		const history = new ChangeHistory(0, 3);
		history.record(1, { deleted: 'a' });
		history.record(2, { deleted: 'b' }, { deleted: 'c' }, { deleted: 'd' });
		// Revision 1 went for the bound; revision 2 is held whole.
		expect(history.since(0, 2)).toBeUndefined();
		expect(revisions(history.since(1, 2))).toEqual([2, 2, 2]);
		history.record(3, { deleted: 'e' }, { deleted: 'f' });
		// Two of revision 2's changes went: what is held of it is not handed out.
		expect(history.since(1, 3)).toBeUndefined();
		expect(history.since(2, 3)!.map((entry) => entry.deleted)).toEqual(['e', 'f']);
	});

	test('nothing for a revision before it started or after the latest', () => {
		const history = new ChangeHistory(10);
		history.record(11, { deleted: 'a' });
		expect(history.since(9, 11)).toBeUndefined();
		expect(history.since(12, 11)).toBeUndefined();
		expect(history.since(12, 12)).toBeUndefined();
	});

	test('nothing when the database went further than the history (a change that did not come through it)', () => {
		const history = new ChangeHistory(0);
		history.record(1, { deleted: 'a' });
		expect(history.since(0, 2)).toBeUndefined();
	});

	test('a gap in the revisions starts the history over', () => {
		const history = new ChangeHistory(0);
		history.record(1, { deleted: 'a' });
		history.record(5, { deleted: 'b' });
		expect(history.since(0, 5)).toBeUndefined();
		expect(history.since(3, 5)).toBeUndefined();
		expect(revisions(history.since(4, 5))).toEqual([5]);
		expect(history.size).toBe(1);
	});

	test('revisions that changed nothing here pass through without an entry', () => {
		const history = new ChangeHistory(0);
		history.record(1, { deleted: 'a' });
		history.skip(2);
		history.skip(3);
		history.record(4, { deleted: 'b' });
		history.skip(5);
		expect(revisions(history.since(0, 5))).toEqual([1, 4]);
		expect(revisions(history.since(1, 5))).toEqual([4]);
		expect(revisions(history.since(2, 5))).toEqual([4]);
		expect(revisions(history.since(3, 5))).toEqual([4]);
		expect(revisions(history.since(4, 5))).toEqual([]);
		expect(revisions(history.since(5, 5))).toEqual([]);
		expect(history.since(5, 6)).toBeUndefined();
		// A revision skipped past the last one that passed through is a gap too.
		history.skip(7);
		expect(history.since(5, 7)).toBeUndefined();
		expect(revisions(history.since(7, 7))).toEqual([]);
	});

	test('holds at most the most recent changes, by count', () => {
		const history = new ChangeHistory(0, 3);
		for (let revision = 1; revision <= 5; revision++) history.record(revision, { deleted: `k${revision}` });
		expect(history.size).toBe(3);
		expect(history.since(1, 5)).toBeUndefined();
		expect(revisions(history.since(2, 5))).toEqual([3, 4, 5]);
		history.skip(6);
		history.skip(7);
		history.record(8, { deleted: 'k8' });
		expect(history.since(2, 8)).toBeUndefined();
		expect(revisions(history.since(3, 8))).toEqual([4, 5, 8]);
		expect(revisions(history.since(6, 8))).toEqual([8]);
	});

	test('holds at most the most recent changes, by bytes; a change larger than the bound is not held', () => {
		const history = new ChangeHistory(0, 100, 100);
		history.record(1, { diff: nodeify({ text: 'x'.repeat(30) }) });
		history.record(2, { diff: nodeify({ text: 'y'.repeat(30) }) });
		expect(revisions(history.since(0, 2))).toEqual([1, 2]);
		history.record(3, { diff: nodeify({ text: 'z'.repeat(30) }) });
		expect(history.since(0, 3)).toBeUndefined();
		expect(revisions(history.since(1, 3))).toEqual([2, 3]);
		history.record(4, { diff: nodeify({ text: 'w'.repeat(500) }) });
		expect(history.size).toBe(0);
		expect(history.since(3, 4)).toBeUndefined();
		expect(revisions(history.since(4, 4))).toEqual([]);
	});

	test('stays exact while it drops old changes for a long time', () => {
		const history = new ChangeHistory(0, 1000);
		for (let revision = 1; revision <= 25_000; revision++) history.record(revision, { deleted: `k${revision}` });
		expect(history.size).toBe(1000);
		expect(history.since(23_999, 25_000)).toBeUndefined();
		const entries = history.since(24_000, 25_000)!;
		expect(entries).toHaveLength(1000);
		expect(entries.every((entry, index) => entry.revision === 24_001 + index && entry.deleted === `k${entry.revision}`)).toBe(true);
		expect(revisions(history.since(24_990, 25_000))).toEqual([24_991, 24_992, 24_993, 24_994, 24_995, 24_996, 24_997, 24_998, 24_999, 25_000]);
	});

	test('clear forgets everything', () => {
		const history = new ChangeHistory(0);
		history.record(1, { deleted: 'a' });
		history.clear(7);
		expect(history.since(0, 7)).toBeUndefined();
		expect(revisions(history.since(7, 7))).toEqual([]);
	});
});
