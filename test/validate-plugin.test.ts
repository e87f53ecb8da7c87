import schemaPlugin, { pluginValidate, SchemaError } from '@socketdb/plugin-validate';
import { createStore, SocketDBError } from '@socketdb/core';
import { afterEach, expect, test } from 'vitest';
import { cleanup, connectClient, startServer } from './helpers/server';

afterEach(cleanup);

const schema = {
	type: 'object',
	properties: {
		players: {
			type: 'object',
			additionalProperties: {
				type: 'object',
				properties: { name: { type: 'string' }, hp: { type: 'number', minimum: 0 } },
				required: ['name'],
				additionalProperties: false,
			},
		},
		title: { type: 'string' },
	},
	required: ['title'],
	additionalProperties: false,
};

async function setup() {
	const started = await startServer({ plugins: [pluginValidate(schema)] });
	await started.server.update({ value: { title: { value: 'game' } } });
	return { ...started, db: connectClient(started.url) };
}

test('valid updates pass', async () => {
	const { db, server } = await setup();
	await db.get('players').get('1').set({ name: 'Ada', hp: 10 });
	await db.get('players').get('1').get('hp').set(5);
	expect(server.get('players/1')).toEqual({ value: { name: { value: 'Ada' }, hp: { value: 5 } } });
});

test('an update after which the tree would not match is refused, with ajv errors as details', async () => {
	const { db, server } = await setup();
	await db.get('players').get('1').set({ name: 'Ada', hp: 10 });
	const refusal = await db.get('players').get('1').get('hp').set(-1).then(
		() => undefined,
		(error: unknown) => error,
	);
	expect(refusal).toBeInstanceOf(SocketDBError);
	expect((refusal as SocketDBError).code).toBe('VETOED');
	expect((refusal as SocketDBError).message).toMatch(/Data is invalid: \/players\/1\/hp must be >= 0/);
	expect(Array.isArray((refusal as SocketDBError).details)).toBe(true);
	expect(server.get('players/1/hp')).toEqual({ value: 10 });

	await expect(db.get('players').get('2').set({ hp: 3 } as never)).rejects.toMatchObject({ code: 'VETOED' });
	await expect(db.get('unknown').set(1)).rejects.toMatchObject({ code: 'VETOED' });
	expect(server.get('players/2')).toEqual({ value: null });
});

test('a delete after which the tree would not match is refused; others pass', async () => {
	const { db, server } = await setup();
	await db.get('players').get('1').set({ name: 'Ada', hp: 10 });
	await expect(db.get('title').delete()).rejects.toMatchObject({ code: 'VETOED' });
	await expect(db.get('players').get('1').get('name').delete()).rejects.toMatchObject({ code: 'VETOED' });
	await db.get('players').get('1').get('hp').delete();
	await db.get('players').get('1').delete();
	expect(server.get('title')).toEqual({ value: 'game' });
	expect(server.get('players')).toEqual({ value: {} });
});

test('the plugin follows every committed change, including server-side writes and vetoes by others', async () => {
	const { db, server } = await setup();
	server.intercept('server:update', ({ data }) => {
		if (JSON.stringify(data).includes('forbidden')) throw new Error('no');
	});
	// Valid for the schema but vetoed by the next hook: the plugin must not remember it.
	await expect(db.get('players').get('9').set({ name: 'forbidden' })).rejects.toThrow('no');
	await server.update({ value: { players: { value: { 2: { value: { name: { value: 'Bob' } } } } } } });
	// Deleting player 2's name is only invalid if the plugin saw the server-side write.
	await expect(db.get('players').get('2').get('name').delete()).rejects.toMatchObject({ code: 'VETOED' });
	await db.get('players').get('2').delete();
	await db.get('players').get('3').set({ name: 'Cy' });
	expect(Object.keys(server.get('players').value as object)).toEqual(['3']);
});

test('a tree that already holds data is validated against what it holds', async () => {
	const store = createStore();
	store.put({ value: { title: { value: 'x' }, players: { value: { 1: { value: { name: { value: 'A' } } } } } } });
	const { url } = await startServer({ store, plugins: [pluginValidate(schema)] });
	const db = connectClient(url);
	await expect(db.get('players').get('1').set({ extra: true } as never)).rejects.toMatchObject({ code: 'VETOED' });
	await db.get('players').get('1').set({ name: 'B' });
	expect(store.get('players/1/name')).toEqual({ value: 'B' });
});

test("SocketDB's names: the plugin is 'schema', its default export, and a refusal has name 'invalid', message and errors beside its code", async () => {
	expect(schemaPlugin).toBe(pluginValidate);
	expect(pluginValidate(schema).name).toBe('schema');
	const { server } = await setup();
	const refusal: unknown = await server.update({ value: { title: { value: 7 } } }).then(
		() => undefined,
		(error: unknown) => error,
	);
	expect(refusal).toBeInstanceOf(SocketDBError);
	expect(refusal).toBeInstanceOf(SchemaError);
	expect(refusal).toMatchObject({ name: 'invalid', code: 'VETOED', message: 'Data is invalid: /title must be string' });
	const { errors, details } = refusal as SchemaError;
	expect(errors).toEqual([expect.objectContaining({ instancePath: '/title', keyword: 'type' })]);
	expect(details).toBe(errors);
	expect(server.get('title')).toEqual({ value: 'game' });
});
