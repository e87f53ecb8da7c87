import { describe, expect, test } from 'vitest';
import { MessageType, SocketDBError, type ClientMessage } from '@socketdb/core';
import { DisconnectRegistrations } from './disconnect-registrations';
import { Outbox } from './outbox';
import type { ClientErrorEvent } from './types';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Registrations over a real outbox; `sent()` takes what a flush would send now. */
function setup() {
	const outbox = new Outbox();
	const reported: ClientErrorEvent[] = [];
	const registrations = new DisconnectRegistrations(outbox, () => undefined, (event) => reported.push(event));
	const sent = () => {
		const messages: ClientMessage[] = [];
		outbox.flush((entry) => {
			messages.push(entry.message);
			return true;
		});
		return messages;
	};
	const reconnect = () => {
		outbox.connectionLost();
		registrations.rearm();
		return sent();
	};
	return { outbox, registrations, reported, sent, reconnect };
}

const described = (messages: ClientMessage[]) => messages.map((message) => (message.type === MessageType.ON_DISCONNECT ? `${message.seq} ${message.op} ${message.path}` : `${message.type}`));

describe('messages', () => {
	test('set, update and delete become ON_DISCONNECT messages made at the reference', () => {
		const { registrations, sent } = setup();
		void registrations.set('status/ada', 'offline', { at: 1 });
		void registrations.update('users/ada', { online: false, 'session/id': null });
		void registrations.delete('cursors/ada');
		void registrations.cancel('typing');
		expect(sent()).toEqual([
			{ type: MessageType.ON_DISCONNECT, seq: 1, op: 'set', path: 'status/ada', node: { value: 'offline', meta: { at: 1 } } },
			{ type: MessageType.ON_DISCONNECT, seq: 2, op: 'update', path: 'users/ada', node: { value: { online: { value: false } } }, deleted: ['session/id'] },
			{ type: MessageType.ON_DISCONNECT, seq: 3, op: 'delete', path: 'cursors/ada' },
			{ type: MessageType.ON_DISCONNECT, seq: 4, op: 'cancel', path: 'typing' },
		]);
	});

	test('a value that cannot be written is refused at once and nothing is sent', async () => {
		const { registrations, sent } = setup();
		await expect(registrations.set('a', undefined)).rejects.toMatchObject({ code: 'INVALID_VALUE' });
		await expect(registrations.update('a', { b: 1, 'b/c': 2 })).rejects.toMatchObject({ code: 'INVALID_PATH' });
		expect(sent()).toEqual([]);
	});
});

describe('re-arming', () => {
	test('after a reconnect every active registration is sent again, in order, with new numbers; acknowledged ones resolve once', async () => {
		const { outbox, registrations, sent, reconnect } = setup();
		const first = registrations.set('a', 1);
		const second = registrations.delete('b');
		expect(described(sent())).toEqual(['1 set a', '2 delete b']);
		outbox.acknowledge(1);
		await first;
		// The second was sent but not answered: it is sent again with a new number too, after the first.
		expect(described(reconnect())).toEqual(['3 set a', '4 delete b']);
		outbox.acknowledge(3);
		outbox.acknowledge(4);
		await second;
		expect(outbox.size).toBe(0);
		expect(described(reconnect())).toEqual(['5 set a', '6 delete b']);
	});

	test('cancelled registrations (at the path or below it) are not sent again; others are', () => {
		const { outbox, registrations, sent, reconnect } = setup();
		void registrations.set('room/a/x', 1);
		void registrations.set('room/b', 2);
		void registrations.set('roomy', 3);
		void registrations.cancel('room');
		sent();
		for (const seq of [1, 2, 3, 4]) outbox.acknowledge(seq);
		expect(described(reconnect())).toEqual(['5 set roomy']);
	});

	test('a registration the server refused is rejected, not sent again; refused later (after a reconnect) it is reported', async () => {
		const { outbox, registrations, reported, sent, reconnect } = setup();
		const refused = expect(registrations.set('a', 1)).rejects.toMatchObject({ code: 'VETOED' });
		const kept = registrations.set('b', 2);
		sent();
		outbox.fail(1, new SocketDBError('VETOED', 'no'));
		outbox.acknowledge(2);
		await refused;
		await kept;
		expect(described(reconnect())).toEqual(['3 set b']);
		outbox.fail(3, new SocketDBError('FORBIDDEN', 'not any more'));
		await settle();
		expect(reported).toEqual([expect.objectContaining({ code: 'FORBIDDEN', message: 'not any more' })]);
		expect(reconnect()).toEqual([]);
	});

	test('a refusal nobody awaits is reported', async () => {
		const { outbox, registrations, reported, sent } = setup();
		void registrations.set('a', 1);
		sent();
		outbox.fail(1, new SocketDBError('VETOED', 'no'));
		await settle();
		expect(reported).toEqual([expect.objectContaining({ code: 'VETOED' })]);
	});

	test('an answer to a number sent on an earlier connection settles nothing', async () => {
		const { outbox, registrations, sent, reconnect } = setup();
		const outcome = registrations.set('a', 1);
		sent();
		reconnect();
		outbox.acknowledge(1);
		await settle();
		expect(outcome.settled).toBe(false);
		outbox.acknowledge(2);
		await outcome;
	});
});
