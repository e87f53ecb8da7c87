import { MessageType, nodeify, type NodeDiff } from '@socketdb/core';
import { describe, expect, test } from 'vitest';
import type { LocalWrite } from './local-write';
import { Mirror } from './mirror';
import { OptimisticView, type SubscriptionState, type ViewSubscriptions } from './optimistic-view';
import { childrenOf, type TreeNode } from './persistent-tree';

type State = { loaded: boolean; rev?: number; db?: string | undefined };

/** Value subscriptions as plain data, each reached by every write at, above or below its path. */
class FakeSubscriptions implements ViewSubscriptions {
	loadedVersion = 0;
	database: string | undefined = 'db1';
	readonly states: Map<string, State>;

	constructor(paths: string[]) {
		this.states = new Map(paths.map((path) => [path, { loaded: false }]));
	}

	/** The first subscription's state. */
	get state(): State {
		return this.states.values().next().value!;
	}

	valuesReachedBy(write: LocalWrite): readonly SubscriptionState[] {
		const related = (path: string) => write.path === '' || write.path === path || write.path.startsWith(`${path}/`) || path.startsWith(`${write.path}/`);
		return [...this.states].filter(([path]) => related(path)).map(([, state]) => state);
	}

	/** The first subscription's value arrived, as of `rev`. */
	load(rev: number): void {
		if (!this.state.loaded) this.loadedVersion++;
		Object.assign(this.state, { loaded: true, rev, db: this.database });
	}
}

const set = (seq: number, path: string, data: unknown): LocalWrite => ({ type: MessageType.SET, seq, path, node: nodeify(data as never) as NodeDiff });

function plain(node: TreeNode | undefined): unknown {
	if (node === undefined) return null;
	const children = childrenOf(node);
	if (children === undefined) return node.value;
	return Object.fromEntries([...children].map(([key, child]) => [key, plain(child)]));
}

/** A view over an empty mirror; `unanswered` stands for the outbox's writes. */
function empty(paths = ['doc']) {
	const mirror = new Mirror();
	const subscriptions = new FakeSubscriptions(paths);
	const unanswered: { seq: number; message: LocalWrite }[] = [];
	const view = new OptimisticView(mirror, subscriptions, () => unanswered);
	/** A write made: in the outbox, and handed to the view. */
	const write = (message: LocalWrite) => {
		unanswered.push({ seq: message.seq, message });
		return view.add(message.seq, message);
	};
	/** The server answered: out of the outbox. */
	const answered = (seq: number) => unanswered.splice(unanswered.findIndex((entry) => entry.seq === seq), 1);
	return { mirror, subscriptions, view, write, answered };
}

/** A view over a loaded subscription at `doc` (and others at `paths`, without their values). */
function setup(paths = ['doc']) {
	const parts = empty(paths);
	parts.mirror.replace('doc', nodeify({ a: 1, b: 1 }) as NodeDiff);
	parts.subscriptions.load(1);
	const doc = () => plain(parts.view.nodeAt(['doc']));
	return { ...parts, doc };
}

describe('OptimisticView', () => {
	test('with nothing shown the view is the mirror itself; a write nobody watches is not shown', () => {
		const { mirror, view, write } = setup();
		expect(view.root()).toBe(mirror.root);
		expect(write(set(1, 'elsewhere', 5))).toBe(false);
		expect(view.root()).toBe(mirror.root);
		expect(view.size).toBe(0);
		expect(view.acknowledged(1, 3, 'db1')).toEqual([]);
	});

	test('a shown write stays until the subscription holds its revision; then the mirror takes the identities shown', () => {
		const { mirror, subscriptions, view, doc, write, answered } = setup();
		expect(write(set(1, 'doc/a', 2))).toBe(true);
		const shown = view.nodeAt(['doc']);
		expect(doc()).toEqual({ a: 2, b: 1 });
		answered(1);
		expect(view.acknowledged(1, 5, 'db1')).toEqual([]);
		expect(doc()).toEqual({ a: 2, b: 1 });
		// The server's change arrives, then its revision: the write leaves, nothing changes for readers.
		mirror.merge('doc', nodeify({ a: 2 }) as NodeDiff);
		expect(view.nodeAt(['doc'])).toBe(shown);
		subscriptions.load(5);
		expect(view.settle()).toEqual([set(1, 'doc/a', 2)]);
		expect(view.nodeAt(['doc'])).toBe(shown);
		expect(view.root()).toBe(mirror.root);
	});

	test('a refused write leaves; the others stay applied on top of the server’s value, in order', () => {
		const { view, doc, write } = setup();
		write(set(1, 'doc', { a: 5, b: 5 }));
		write(set(2, 'doc/b', 6));
		expect(doc()).toEqual({ a: 5, b: 6 });
		expect(view.refused(1)).toEqual([set(1, 'doc', { a: 5, b: 5 })]);
		expect(doc()).toEqual({ a: 1, b: 6 });
		expect(view.clear()).toEqual([set(2, 'doc/b', 6)]);
		expect(doc()).toEqual({ a: 1, b: 1 });
	});

	test('thousands of writes come and go; the ones left stay shown, in write order', () => {
		const { view, doc, write } = setup();
		for (let seq = 1; seq <= 10_000; seq++) write(set(seq, seq % 2 === 0 ? 'doc/a' : 'doc/b', seq));
		for (let seq = 1; seq <= 9_997; seq++) view.refused(seq);
		expect(view.size).toBe(3);
		expect(doc()).toEqual({ a: 10_000, b: 9_999 });
		expect(view.clear()).toEqual([set(9_998, 'doc/a', 9_998), set(9_999, 'doc/b', 9_999), set(10_000, 'doc/a', 10_000)]);
		expect(doc()).toEqual({ a: 1, b: 1 });
	});

	test('writes leave in write order: one whose change arrived waits for an earlier one still shown', () => {
		const { mirror, subscriptions, view, doc, write, answered } = setup(['doc', 'other']);
		const both: LocalWrite = { type: MessageType.UPDATE, seq: 1, path: '', deleted: [], node: nodeify({ doc: { a: 2 }, other: { x: 1 } }) as NodeDiff };
		write(both);
		write(set(2, 'doc/a', 3));
		answered(1);
		answered(2);
		// `other` holds a value older than the first write's ACK: the first write stays.
		subscriptions.states.get('other')!.loaded = true;
		subscriptions.states.get('other')!.rev = 1;
		subscriptions.states.get('other')!.db = 'db1';
		expect(view.acknowledged(1, 5, 'db1')).toEqual([]);
		expect(view.acknowledged(2, 6, 'db1')).toEqual([]);
		mirror.merge('doc', nodeify({ a: 3 }) as NodeDiff);
		subscriptions.load(6);
		// The second write's change is in `doc`, but leaving before the first would show the first's a: 2.
		expect(view.settle()).toEqual([]);
		expect(doc()).toEqual({ a: 3, b: 1 });
		subscriptions.states.get('other')!.rev = 6;
		expect(view.settle()).toEqual([both, set(2, 'doc/a', 3)]);
		expect(doc()).toEqual({ a: 3, b: 1 });
	});

	test('a write masked by the next one is not replayed, unless the next one is refused', () => {
		const { mirror, view, doc, write } = setup();
		write(set(1, 'doc', { a: 5, c: 5 }));
		write(set(2, 'doc', { a: 6, c: 6 }));
		write(set(3, 'doc', { a: 7 }));
		expect(doc()).toEqual({ a: 7, b: 1, c: 6 });
		// A change from the server: the view is built again from it.
		mirror.merge('doc', nodeify({ b: 2 }) as NodeDiff);
		expect(doc()).toEqual({ a: 7, b: 2, c: 6 });
		view.refused(2);
		expect(doc()).toEqual({ a: 7, b: 2, c: 5 });
	});

	test('a write whose hooks finish after a later one’s is applied in write order', () => {
		const { view, doc } = setup();
		view.add(2, set(2, 'doc/a', 'second'));
		view.add(1, set(1, 'doc/a', 'first'));
		expect(doc()).toEqual({ a: 'second', b: 1 });
	});

	test('an unanswered write shows once a subscription it reaches gets its value, and leaves with the subscription', () => {
		const { mirror, subscriptions, view, write } = empty();
		expect(write(set(1, 'doc/a', 2))).toBe(false);
		mirror.replace('doc', nodeify({ a: 1, b: 1 }) as NodeDiff);
		subscriptions.load(1);
		expect(plain(view.nodeAt(['doc']))).toEqual({ a: 2, b: 1 });
		Object.assign(subscriptions.state, { loaded: false });
		subscriptions.loadedVersion++;
		expect(view.root()).toBe(mirror.root);
		expect(view.size).toBe(0);
	});

	test('an acknowledged write does not wait for a subscription it reaches that holds no value yet', () => {
		const { mirror, subscriptions, view, write, answered } = setup(['doc', 'other']);
		const both: LocalWrite = { type: MessageType.UPDATE, seq: 1, path: '', deleted: [], node: nodeify({ doc: { a: 2 }, other: { x: 1 } }) as NodeDiff };
		expect(write(both)).toBe(true);
		answered(1);
		view.acknowledged(1, 5, 'db1');
		mirror.merge('doc', nodeify({ a: 2 }) as NodeDiff);
		subscriptions.load(5);
		expect(view.settle()).toEqual([both]);
	});

	test('revisions compare within one database: data of the current one settles a write acknowledged by another, not the other way round', () => {
		const { mirror, subscriptions, view, doc, write, answered } = setup();
		write(set(1, 'doc/a', 2));
		answered(1);
		view.acknowledged(1, 9, 'db1');
		// Reconnected to another database; the subscription still holds the old data.
		subscriptions.database = 'db2';
		expect(view.settle()).toEqual([]);
		write(set(2, 'doc/b', 3));
		answered(2);
		view.acknowledged(2, 1, 'db2');
		expect(view.settle()).toEqual([]);
		expect(doc()).toEqual({ a: 2, b: 3 });
		// Its fresh value arrives from db2, at revision 1: both writes are in what it holds.
		mirror.replace('doc', nodeify({ a: 2, b: 3 }) as NodeDiff);
		Object.assign(subscriptions.state, { rev: 1, db: 'db2' });
		expect(view.settle()).toHaveLength(2);
		expect(view.size).toBe(0);
		expect(doc()).toEqual({ a: 2, b: 3 });
	});
});
