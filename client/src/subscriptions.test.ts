import { MessageType, type ClientMessage } from '@socketdb/core';
import { describe, expect, test } from 'vitest';
import { Listeners, UNAVAILABLE } from './listeners';
import { Mirror } from './mirror';
import { SnapshotAssembly } from './snapshot-assembly';
import { ServerSubscriptions } from './subscriptions';

function subscriptions() {
	const sent: ClientMessage[] = [];
	const listeners = new Listeners({ nodeFor: () => UNAVAILABLE, keysFor: () => UNAVAILABLE, dataOf: () => undefined, metaOf: () => undefined });
	const assembly = new SnapshotAssembly();
	const held = new ServerSubscriptions(listeners, new Mirror(), assembly, (message) => sent.push(message));
	const resubscribed = (database: string | undefined) => {
		sent.length = 0;
		held.resubscribeAll(database);
		return sent.filter((message) => message.type === MessageType.SUBSCRIBE);
	};
	return { held, sent, assembly, resubscribed };
}

describe('ServerSubscriptions: resuming after a reconnect', () => {
	test('a loaded value is asked for from the revision it is as of, in the database it came from only', () => {
		const { held, resubscribed } = subscriptions();
		held.valueListenerAdded('a');
		held.valueListenerAdded('b');
		resubscribed('db-1');
		held.valueStarted('a', 1);
		held.valueLoaded('a', 7);
		// `b` never arrived: it is asked for whole.
		expect(resubscribed('db-1')).toEqual([
			{ type: MessageType.SUBSCRIBE, path: 'a', since: 7 },
			{ type: MessageType.SUBSCRIBE, path: 'b' },
		]);
		expect(resubscribed('db-2')).toEqual([
			{ type: MessageType.SUBSCRIBE, path: 'a' },
			{ type: MessageType.SUBSCRIBE, path: 'b' },
		]);
		expect(resubscribed(undefined).map((message) => 'since' in message)).toEqual([false, false]);
	});

	test('changes applied after the value move its revision on, never back', () => {
		const { held, resubscribed } = subscriptions();
		held.valueListenerAdded('a');
		resubscribed('db');
		held.valueStarted('a', 1);
		held.valueLoaded('a', 3);
		held.valueReached('a', 9);
		held.valueReached('a', 5);
		expect(resubscribed('db')).toEqual([{ type: MessageType.SUBSCRIBE, path: 'a', since: 9 }]);
		// Resumed by a DELTA to revision 12.
		held.valueStarted('a', 1);
		held.valueLoaded('a', 12);
		expect(resubscribed('db')).toEqual([{ type: MessageType.SUBSCRIBE, path: 'a', since: 12 }]);
	});

	test('a value loaded from a server of another database counts in that one', () => {
		const { held, resubscribed } = subscriptions();
		held.valueListenerAdded('a');
		resubscribed('old');
		resubscribed('new');
		held.valueStarted('a', 1);
		held.valueLoaded('a', 2);
		expect(resubscribed('old')).toEqual([{ type: MessageType.SUBSCRIBE, path: 'a' }]);
	});

	test('a subscription made again starts without a value: no revision to resume from', () => {
		const { held, resubscribed } = subscriptions();
		held.valueListenerAdded('a');
		resubscribed('db');
		held.valueStarted('a', 1);
		held.valueLoaded('a', 4);
		expect(held.isLoaded('a')).toBe(true);
		held.valueListenerRemoved('a');
		held.valueListenerAdded('a');
		expect(held.isLoaded('a')).toBe(false);
		expect(resubscribed('db')).toEqual([{ type: MessageType.SUBSCRIBE, path: 'a' }]);
	});
});
