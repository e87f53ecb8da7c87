import { MessageType, nodeify } from '@socketdb/core';
import { describe, expect, test } from 'vitest';
import { pathWrites, updateMessage } from './paths-update';

describe('ref.update as one message', () => {
	test('relative keys become absolute paths; values merge into one root-anchored node; null deletes', () => {
		const writes = pathWrites('users/42', { name: 'Ada', 'address/city': 'London', '/nick/': null }, { by: 'me' });
		expect(writes).toEqual([
			{ path: 'users/42/name', value: 'Ada', meta: { by: 'me' } },
			{ path: 'users/42/address/city', value: 'London', meta: { by: 'me' } },
			{ path: 'users/42/nick', value: null },
		]);
		const name = { ...nodeify('Ada'), meta: { by: 'me' } };
		const city = { ...nodeify('London'), meta: { by: 'me' } };
		expect(updateMessage(writes)).toEqual({
			type: MessageType.UPDATE,
			path: '',
			node: { value: { users: { value: { 42: { value: { name, address: { value: { city } } } } } } } },
			deleted: ['users/42/nick'],
		});
	});

	test('only deletes: no node', () => {
		expect(updateMessage(pathWrites('', { a: null, 'b/c': null }, undefined))).toEqual({ type: MessageType.UPDATE, path: '', deleted: ['a', 'b/c'] });
	});

	test('values are copied as JSON, like set copies them', () => {
		const date = new Date(0);
		expect(pathWrites('', { when: date, list: [1, undefined] }, undefined)).toEqual([
			{ path: 'when', value: date.toJSON(), meta: undefined },
			{ path: 'list', value: [1, null], meta: undefined },
		]);
	});

	test.each([
		['a key and one below it', { a: 1, 'a/b': 2 }],
		['the same path twice', { 'a/b': 1, '/a/b': 2 }],
		['a delete above a value', { a: null, 'a/b/c': 2 }],
	])('refuses %s', (_, values) => {
		expect(() => updateMessage(pathWrites('', values, undefined))).toThrow(expect.objectContaining({ code: 'INVALID_PATH' }));
	});

	test('keys that only share a beginning are siblings', () => {
		expect(() => updateMessage(pathWrites('', { a: 1, 'a-b': 2, 'a/c': 3 }, undefined))).toThrow(expect.objectContaining({ code: 'INVALID_PATH' }));
		expect(updateMessage(pathWrites('', { ab: 1, 'a-b': 2, 'a b': 3 }, undefined)).node).toEqual({ value: { ab: { value: 1 }, 'a-b': { value: 2 }, 'a b': { value: 3 } } });
	});

	test.each([
		['an array', [1, 2], 'INVALID_VALUE'],
		['null', null, 'INVALID_VALUE'],
		['a number', 5, 'INVALID_VALUE'],
		['undefined as a value', { a: undefined }, 'INVALID_VALUE'],
		['an empty key', { '': 1 }, 'INVALID_PATH'],
		['a reserved key', { 'a/constructor': 1 }, 'INVALID_PATH'],
		['an empty segment', { 'a//b': 1 }, 'INVALID_PATH'],
	])('refuses %s', (_, values, code) => {
		expect(() => pathWrites('x', values, undefined)).toThrow(expect.objectContaining({ code }));
	});
});
