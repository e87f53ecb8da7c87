import { afterEach, expect, test } from 'vitest';
import { codeBlock } from './helpers/docs';
import { runProgram } from './helpers/doc-programs';
import { cleanup, startServer } from './helpers/server';

afterEach(cleanup);

test("the quick start's client script runs against a server, prints what it promises and ends by itself", async () => {
	const { server, url } = await startServer();
	const result = await runProgram(codeBlock('docs/quick-start.md', 'Connect a client', 'ts'), url);
	expect(result.code, result.output).toBe(0);
	expect(result.output).toContain("{ '1': { title: 'Try SocketDB', done: false } }");
	expect(server.get('todos').value).toEqual({});
});
