import { afterEach, expect, test, vi } from 'vitest';
import { ConnectionStateListeners } from './connection-state';
import type { ConnectionState } from './types';

afterEach(() => {
	vi.restoreAllMocks();
});

function listeners(initial: ConnectionState = 'disconnected') {
	const source = { state: initial };
	const states = new ConnectionStateListeners(() => source.state);
	const move = (state: ConnectionState) => {
		source.state = state;
		states.update();
	};
	return { states, move, source };
}

test('a callback gets the current state at once, then every change, never the same twice', () => {
	const { states, move } = listeners();
	const seen: ConnectionState[] = [];
	states.add((state) => seen.push(state));
	expect(seen).toEqual(['disconnected']);
	move('disconnected');
	move('connecting');
	move('connecting');
	move('connected');
	states.update();
	expect(seen).toEqual(['disconnected', 'connecting', 'connected']);
});

test('a callback that changes the state while others wait: everybody ends on the newest state, in order', () => {
	const { states, move, source } = listeners('connecting');
	const first: ConnectionState[] = [];
	const second: ConnectionState[] = [];
	states.add((state) => {
		first.push(state);
		// As db.disconnect() would, from inside the callback.
		if (state === 'connected') move('disconnected');
	});
	states.add((state) => second.push(state));
	move('connected');
	expect(source.state).toBe('disconnected');
	expect(first).toEqual(['connecting', 'connected', 'disconnected']);
	// The second callback was told the newer state first; the older one is not delivered after it.
	expect(second).toEqual(['connecting', 'disconnected']);
});

test('unsubscribing stops the calls, also from inside another callback', () => {
	const { states, move } = listeners();
	const seen: ConnectionState[] = [];
	let stopSecond = () => undefined as void;
	states.add(() => stopSecond());
	stopSecond = states.add((state) => seen.push(state));
	move('connecting');
	expect(seen).toEqual(['disconnected']);
});

test('a callback that throws does not keep the others from their call; its error is thrown on its own', () => {
	const queued: (() => void)[] = [];
	vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => void queued.push(task));
	const { states, move } = listeners();
	const seen: ConnectionState[] = [];
	const failure = new Error('callback failed');
	states.add((state) => {
		if (state === 'connecting') throw failure;
	});
	states.add((state) => seen.push(state));
	move('connecting');
	expect(seen).toEqual(['disconnected', 'connecting']);
	expect(queued).toHaveLength(1);
	expect(() => queued[0]!()).toThrow(failure);
});
