import { afterEach, expect, test } from 'vitest';
import { MessageType, nodeify, SocketDBError } from '@socketdb/core';
import { closeRawSockets, handshake } from './helpers/raw';
import { cleanup, connectClient, record, startServer, waitFor } from './helpers/server';

afterEach(async () => {
	closeRawSockets();
	await cleanup();
});

const TEAM = { members: { ada: true, grace: true } };

function codeOfThrow(run: () => unknown): string | undefined {
	try {
		run();
	} catch (error) {
		return error instanceof SocketDBError ? error.code : `not a SocketDBError: ${String(error)}`;
	}
	return undefined;
}

test('an empty key is refused by get() with INVALID_PATH instead of landing on the parent', async () => {
	const { server, url } = await startServer();
	await server.update(nodeify({ team: TEAM }));
	const db = connectClient(url);
	for (const make of [
		() => db.get('team').get(''),
		() => db.get('team/'),
		() => db.get('/team'),
		() => db.get('team//members'),
		() => db.get('team').get('/members'),
		() => db.get('team').get('members/'),
		() => db.get('/'),
	]) {
		expect(codeOfThrow(make), make.toString()).toBe('INVALID_PATH');
	}
	// The root is '' and stays reachable both ways; keys with slashes inside still work.
	await db.get('').get('team/members/linus').set(true);
	expect(server.get('team').value).toMatchObject({ members: { value: { ada: { value: true }, grace: { value: true }, linus: { value: true } } } });
	const seen = record(db.get(''));
	await waitFor(() => seen.values.length === 1, 'the root');
	expect(seen.last()).toEqual({ team: { members: { ada: true, grace: true, linus: true } } });
});

test('a write with an empty segment on the wire is refused and the parent keeps its children', async () => {
	const { server, url } = await startServer();
	await server.update(nodeify({ team: TEAM }));
	const raw = await handshake(url);
	let seq = 1;
	for (const path of ['team/', '/team', 'team//members', '/', '/team/members/']) {
		raw.send({ type: MessageType.SET, seq, path, node: { value: 'carol' } });
		expect(await raw.answer(seq), path).toMatchObject({ type: MessageType.REJECT, code: 'INVALID_PATH', message: expect.stringContaining('empty segment') });
		seq++;
		raw.send({ type: MessageType.DELETE, seq, path });
		expect(await raw.answer(seq), path).toMatchObject({ type: MessageType.REJECT, code: 'INVALID_PATH' });
		seq++;
	}
	const from = raw.messages.length;
	raw.send({ type: MessageType.SUBSCRIBE, path: 'team/' });
	expect(await raw.next(MessageType.ERROR, from)).toMatchObject({ code: 'INVALID_PATH' });
	expect(server.get('team').value).toEqual(nodeify(TEAM).value);
});

test('a client:set hook that returns a path with an empty segment has its write refused', async () => {
	const { server, url } = await startServer();
	await server.update(nodeify({ team: TEAM }));
	const db = connectClient(url);
	db.intercept('client:set', ({ value, meta }) => ({ path: 'team/', value, meta }));
	await expect(db.get('team').get('x').set('carol')).rejects.toMatchObject({ code: 'INVALID_PATH' });
	expect(server.get('team').value).toEqual(nodeify(TEAM).value);
});

test('server.update and server.delete refuse empty segments and lone surrogates', async () => {
	const { server } = await startServer();
	await server.update(nodeify({ team: TEAM }));
	for (const path of ['team/', '/team', 'team//members', '/', 'team/k\uDC00']) {
		await expect(server.delete(path), path).rejects.toMatchObject({ code: 'INVALID_PATH' });
	}
	await expect(server.update({ value: { team: { value: { '': { value: 'carol' } } } } })).rejects.toMatchObject({ code: 'INVALID_VALUE' });
	await expect(server.update(nodeify({ team: { name: 'a\uD800b' } }))).rejects.toMatchObject({ code: 'INVALID_VALUE' });
	await expect(server.update(nodeify({ team: { ['k\uDC00']: 1 } }))).rejects.toMatchObject({ code: 'INVALID_VALUE' });
	expect(server.get('team').value).toEqual(nodeify(TEAM).value);
});

test('strings and keys that are not well-formed UTF-16 are refused, not altered', async () => {
	const { server, url } = await startServer();
	const db = connectClient(url);
	await expect(db.get('s').set('a\uD800b')).rejects.toMatchObject({ code: 'INVALID_VALUE', message: expect.stringContaining('lone surrogate') });
	await expect(db.get('s').set({ nested: ['ok', '\uDC00'] })).rejects.toMatchObject({ code: 'INVALID_VALUE' });
	await expect(db.get('s').set({ ['k\uDC00']: 1 })).rejects.toMatchObject({ code: 'INVALID_VALUE' });
	await expect(db.get('s').set('fine', { by: 'x\uDBFF' })).rejects.toMatchObject({ code: 'INVALID_VALUE' });
	expect(codeOfThrow(() => db.get('k\uDC00'))).toBe('INVALID_PATH');
	expect(codeOfThrow(() => db.get('a').get('\uD800'))).toBe('INVALID_PATH');
	// Surrogate pairs are ordinary text, in values and keys alike.
	await db.get('emoji').get('\u{1F600}').set('smile \u{1F600}');
	expect(server.get('emoji/\u{1F600}').value).toBe('smile \u{1F600}');
	expect(server.get('s').value).toBe(null);
});
