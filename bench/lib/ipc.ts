/**
 * The bench processes talk over Node's IPC channel: the runner sends a request with an
 * id, the child answers with the same id. One helper for each side.
 */
import type { ChildProcess } from 'node:child_process';

export type Request = { id: number; type: string; payload?: unknown };
export type Reply = { id: number; ok: boolean; value?: unknown; error?: string };

/** Child side: answers requests with `handlers[type](payload)`. */
export function serveRequests(handlers: Record<string, (payload: unknown) => unknown>): void {
	process.on('message', (request: Request) => {
		void (async () => {
			const handler = handlers[request.type];
			try {
				if (handler === undefined) throw new Error(`unknown request ${request.type}`);
				process.send!({ id: request.id, ok: true, value: await handler(request.payload) } satisfies Reply);
			} catch (error) {
				process.send!({ id: request.id, ok: false, error: (error as Error).stack ?? String(error) } satisfies Reply);
			}
		})();
	});
	// The runner going away ends the child too.
	process.on('disconnect', () => process.exit(0));
}

/** Runner side: a typed request function for one child, failing after `timeoutMs`. */
export function requester(child: ChildProcess) {
	let nextId = 0;
	const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
	child.on('message', (reply: Reply) => {
		const pending = waiting.get(reply.id);
		if (pending === undefined) return;
		waiting.delete(reply.id);
		if (reply.ok) pending.resolve(reply.value);
		else pending.reject(new Error(reply.error));
	});
	child.on('exit', (code, signal) => {
		for (const pending of waiting.values()) pending.reject(new Error(`process exited (${code ?? signal}) before answering`));
		waiting.clear();
	});
	return <T>(type: string, payload?: unknown, timeoutMs = 60_000): Promise<T> =>
		new Promise<T>((resolve, reject) => {
			const id = nextId++;
			const timer = setTimeout(() => {
				waiting.delete(id);
				reject(new Error(`${type} timed out after ${timeoutMs} ms`));
			}, timeoutMs);
			waiting.set(id, {
				resolve: (value) => {
					clearTimeout(timer);
					resolve(value as T);
				},
				reject: (error) => {
					clearTimeout(timer);
					reject(error);
				},
			});
			child.send({ id, type, payload } satisfies Request);
		});
}
