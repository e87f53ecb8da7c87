import { expect, test } from 'vitest';
import { portOf } from './in-process';

test.each([
	['ws://localhost:8080', 8080],
	['ws://127.0.0.1:9/path?x=1', 9],
	['ws://user:secret@host:81', 81],
	['ws://[::1]:82/', 82],
	['ws://localhost', 80],
	['wss://example.com/db', 443],
	['not a url', undefined],
	['ws://host:notaport', undefined],
])('the port of %s is %s', (url, port) => {
	expect(portOf(url)).toBe(port);
});
