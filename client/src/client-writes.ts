import { assertPath, assertRootObject, isObject, MessageType, nodeify, ServerValue, SocketDBError, toSocketDBError, type HookPipeline, type Json, type LeafValue, type Meta, type NodeDiff, type WriteOutcome } from '@socketdb/core';
import { changeToSend } from './held-change';
import { toJsonValue } from './json-value';
import { isLocalWrite, type LocalWrite } from './local-write';
import type { Outbox } from './outbox';
import type { TreeNode } from './persistent-tree';
import { pathWrites, updateMessage, type PathWrite } from './paths-update';
import type { ClientErrorEvent, ClientHooks } from './types';

/**
 * The client's writes, from a reference's call to the outbox: the values copied as JSON, the
 * `client:set` and `client:delete` hooks, the message built and queued, and `made` told of it (the
 * client shows it at once). What the server answers settles them (see the client's handling of
 * ACK and REJECT).
 */
export function createClientWrites(
	outbox: Outbox,
	hooks: HookPipeline<ClientHooks>,
	flushOutbox: () => void,
	reportError: (event: ClientErrorEvent) => void,
	made: (seq: number, write: LocalWrite) => void,
	/** The node the client holds at a path, when it knows the server's value there (see `changeToSend`). */
	heldAt: (path: string) => TreeNode | undefined | false,
) {
	/** A write on its way through the outbox: numbered now, sent once `ready` gets its message (a `set` that changes nothing never is). */
	function outgoingWrite() {
		const entry = outbox.create();
		return {
			entry,
			outcome: entry.outcome,
			ready(message: Parameters<Outbox['ready']>[1]) {
				if (message.type === MessageType.SET) {
					const node = changeToSend(heldAt, message.path, message.node);
					if (node === undefined) return void outbox.drop(entry);
					message = { type: MessageType.SET, path: message.path, node };
				}
				outbox.ready(entry, message);
				if (isLocalWrite(entry.message)) made(entry.seq, entry.message);
				flushOutbox();
			},
			refuse,
			/** Once the client hooks decided: a hook's throw refuses the write (`VETOED`), and so does a message that cannot be built. */
			afterHooks<Result>(decided: Promise<Result>, send: (result: Result) => void) {
				decided.then((result) => {
					try {
						send(result);
					} catch (error) {
						refuse(error, 'INVALID_VALUE');
					}
				}, (error: unknown) => refuse(error, 'VETOED'));
			},
		};

		function refuse(thrown: unknown, fallback: 'VETOED' | 'INVALID_VALUE') {
			const error = toSocketDBError(thrown, fallback);
			if (!outbox.drop(entry, error)) reportError({ code: error.code, message: error.message });
			flushOutbox();
		}
	}

	function write(kind: 'set' | 'delete', path: string, value?: unknown, meta?: Meta): WriteOutcome {
		const { outcome, ready, refuse, afterHooks } = outgoingWrite();
		try {
			if (kind === 'delete') {
				const args = { path };
				if (!hooks.has('client:delete')) ready(deleteMessage(args.path));
				else afterHooks(hooks.call('client:delete', args, undefined), (result) => ready(deleteMessage((result ?? args).path)));
			} else {
				const args = { path, value: toJsonValue(value, true) as Json | LeafValue, meta: meta === undefined ? undefined : (toJsonValue(meta) as Meta) };
				if (!hooks.has('client:set')) ready(setMessage(args));
				else
					afterHooks(hooks.call('client:set', args, undefined), (result) => {
						const final = result ?? args;
						ready(setMessage({ path: final.path, value: toJsonValue(final.value, true), meta: final.meta === undefined ? undefined : (toJsonValue(final.meta) as Meta) }));
					});
			}
		} catch (error) {
			refuse(error, 'INVALID_VALUE');
		}
		return outcome;
	}

	/**
	 * `ref.update(values, meta)`: one write of several paths. Each value goes through the
	 * `client:set` hooks and each deleted path through `client:delete`, as if written alone; a
	 * hook that throws drops the whole update.
	 */
	function update(path: string, values: unknown, meta?: Meta): WriteOutcome {
		const { outcome, ready, refuse, afterHooks } = outgoingWrite();
		try {
			const writes = pathWrites(path, values, meta === undefined ? undefined : (toJsonValue(meta) as Meta));
			if (!hooks.has('client:set') && !hooks.has('client:delete')) ready(updateMessage(writes));
			else afterHooks(runWriteHooks(writes), (final) => ready(updateMessage(final)));
		} catch (error) {
			refuse(error, 'INVALID_VALUE');
		}
		return outcome;
	}

	async function runWriteHooks(writes: readonly PathWrite[]): Promise<PathWrite[]> {
		const final: PathWrite[] = [];
		for (const write of writes) {
			if (write.value === null) {
				const args = { path: write.path };
				const result = hooks.has('client:delete') ? await hooks.call('client:delete', args, undefined) : undefined;
				final.push({ path: (result ?? args).path, value: null });
			} else {
				const args = { path: write.path, value: write.value, meta: write.meta };
				const result = (hooks.has('client:set') ? await hooks.call('client:set', args, undefined) : undefined) ?? args;
				final.push({ path: result.path, value: toJsonValue(result.value, true) as Json | LeafValue, meta: result.meta === undefined ? undefined : (toJsonValue(result.meta) as Meta) });
			}
		}
		return final;
	}

	/**
	 * One attempt of `ref.transaction`: `next` (`undefined`: delete) replaces the value at `path` if
	 * the server still holds `expected` there. It goes through the `client:set` (or `client:delete`)
	 * hooks like a write, which may change the value but not the path. Resolves with the value the
	 * server committed; rejects with `CONFLICT` (and the value it holds) when the path changed.
	 */
	function transactionWrite(path: string, expected: unknown, next: unknown): Promise<unknown> {
		const { outcome, ready, refuse, afterHooks, entry } = outgoingWrite();
		let committed: unknown = next;
		entry.committed = (value) => (committed = value);
		const send = (write: { path: string; value?: unknown; meta?: Meta | undefined }) => {
			if (write.path !== path) throw new SocketDBError('INVALID_PATH', 'a client hook cannot move a transaction to another path');
			if (write.value === undefined) return ready({ type: MessageType.TRANSACTION, path, expected });
			ready({ type: MessageType.TRANSACTION, path, expected, node: setMessage({ path, value: toJsonValue(write.value, true), meta: write.meta === undefined ? undefined : (toJsonValue(write.meta) as Meta) }).node });
		};
		try {
			assertPath(path);
			if (path === '') throw new SocketDBError('INVALID_PATH', 'a transaction works on a path below the root');
			const hook = next === null ? 'client:delete' : 'client:set';
			const args = next === null ? { path } : { path, value: toJsonValue(next, true) as Json | LeafValue };
			if (!hooks.has(hook)) send(args);
			else afterHooks(hooks.call(hook as 'client:set', args as { path: string; value: Json | LeafValue }, undefined) as Promise<{ path: string; value?: unknown; meta?: Meta } | void>, (result) => send(result ?? args));
		} catch (error) {
			refuse(error, 'INVALID_VALUE');
		}
		return outcome.then(() => committed);
	}

	return { write, update, transactionWrite };
}

/**
 * The message of a write. Paths come from references, which check them, but a
 * `client:set`/`client:delete` hook may return another, so the path is checked again.
 */
export function setMessage({ path, value, meta }: { path: string; value: unknown; meta?: Meta | undefined }) {
	assertPath(path);
	if (value === undefined) throw new SocketDBError('INVALID_VALUE', 'undefined cannot be stored; use delete() to remove a value');
	if (meta !== undefined && !isObject(meta)) throw new SocketDBError('INVALID_VALUE', 'meta must be an object');
	if (path === '') assertRootObject(value instanceof ServerValue ? undefined : value);
	const node: NodeDiff = nodeify(value as Json | LeafValue);
	if (meta !== undefined) node.meta = meta;
	return { type: MessageType.SET, path, node } as const;
}

function deleteMessage(path: string) {
	assertPath(path);
	return { type: MessageType.DELETE, path } as const;
}
