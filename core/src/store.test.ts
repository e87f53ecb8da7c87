import { expect, test } from 'vitest';
import { createStore } from './store';
import { describeStoreContract } from './testing';

describeStoreContract('in-memory', createStore);

test('the in-memory store has exactly the SocketDB shape', () => {
	expect(Object.keys(createStore()).sort()).toEqual(['del', 'get', 'put']);
});

test('separate stores share nothing', () => {
	const a = createStore();
	const b = createStore();
	a.put({ value: { x: { value: 1 } } });
	expect(b.get('x')).toBeNull();
	b.del('');
	expect(a.get('x')).toEqual({ value: 1 });
});
