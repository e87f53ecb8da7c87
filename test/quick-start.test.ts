import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { codeBlock } from './helpers/docs';
import { cleanup, startServer } from './helpers/server';

afterEach(cleanup);

test("the quick start's client script runs against a server and ends by itself", async () => {
	const { server, url } = await startServer();
	const directory = join('test', '.recipes');
	mkdirSync(directory, { recursive: true });
	const script = join(directory, `quick-start-${process.pid}.ts`);
	writeFileSync(script, codeBlock('docs/quick-start.md', 'Connect a client', 'ts').replace("'ws://localhost:8080'", `'${url}'`));
	try {
		const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
			const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
			let output = '';
			child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
			child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
			const timer = setTimeout(() => {
				child.kill('SIGKILL');
				reject(new Error(`the script did not end by itself; it printed: ${output}`));
			}, 10_000);
			child.on('exit', (code) => {
				clearTimeout(timer);
				resolve({ code, output });
			});
		});
		expect(result.code, result.output).toBe(0);
		expect(result.output).toContain("{ '1': { title: 'Try SocketDB', done: false } }");
		expect(server.get('todos').value).toEqual({});
	} finally {
		rmSync(script, { force: true });
	}
});
