import type { Node, NodeDiff, SocketDBError, Store } from '@socketdb/core';
import type { HookHost, HookSubject } from './call-hook';
import type { Origin, PathsUpdate } from './replication';
import { keepIncrements, resolveServerValues, resolveTimestamps, type ResolvedIncrement } from './server-values';

/** Turns what a hook threw into the write's refusal (reported, and logged with a shared log). */
export type Refuse = (thrown: unknown, hook: 'server:update' | 'server:delete', writer: HookSubject, origin: Origin | undefined) => SocketDBError;

/**
 * The hooks that decide a write before it is applied: what they return replaces the write, what
 * they throw refuses it. Each method hands back the write as decided, at once when no hook is
 * registered (the common case costs no promise), else as a promise.
 *
 * Server values: timestamps are filled in here, once. Increments stay in the write, to be filled
 * in when it is applied; hooks see them filled in ahead, from the data as it is now.
 */
export class WriteDecisions {
	constructor(
		private readonly host: HookHost,
		private readonly store: Store,
		private readonly refuse: Refuse,
	) {}

	/** A root-anchored diff, through `server:update`; `replaces` names the path a transaction replaces. */
	update(data: NodeDiff, serverValues: boolean, writer: HookSubject, origin: Origin | undefined, replaces?: string): NodeDiff | Promise<NodeDiff> {
		const { hooks } = this.host;
		if (!hooks.has('server:update')) return serverValues ? resolveTimestamps(data, Date.now()) : data;
		const { diff, increments } = serverValues ? resolveServerValues(data, this.store, Date.now()) : { diff: data, increments: [] };
		const args = replaces === undefined ? { data: diff as Node } : { data: diff as Node, replaces };
		return hooks.call('server:update', args, { client: writer.client, api: this.host.api }).then(
			(result) => keepIncrements(result?.data ?? diff, increments),
			(thrown: unknown) => {
				throw this.refuse(thrown, 'server:update', writer, origin);
			},
		);
	}

	/** A path to delete, through `server:delete`. */
	delete(path: string, writer: HookSubject, origin: Origin | undefined): string | Promise<string> {
		const { hooks } = this.host;
		if (!hooks.has('server:delete')) return path;
		return hooks.call('server:delete', { path }, { client: writer.client, api: this.host.api }).then(
			(result) => result?.path ?? path,
			(thrown: unknown) => {
				throw this.refuse(thrown, 'server:delete', writer, origin);
			},
		);
	}

	/**
	 * Several paths as one write (`ref.update`): `server:update` sees the values in one call and
	 * `server:delete` each deleted path, in order; a refusal by any of them refuses the whole write.
	 */
	paths(change: PathsUpdate, serverValues: boolean, writer: HookSubject, origin: Origin | undefined): PathsUpdate | Promise<PathsUpdate> {
		const { hooks } = this.host;
		const updateHooked = change.data !== undefined && hooks.has('server:update');
		const deleteHooked = change.deleted.length > 0 && hooks.has('server:delete');
		if (!updateHooked && !deleteHooked) return serverValues && change.data !== undefined ? { ...change, data: resolveTimestamps(change.data, Date.now()) } : change;
		return this.decidePaths(change, serverValues, writer, origin, updateHooked);
	}

	private async decidePaths(change: PathsUpdate, serverValues: boolean, writer: HookSubject, origin: Origin | undefined, updateHooked: boolean): Promise<PathsUpdate> {
		let data = change.data;
		let increments: ResolvedIncrement[] = [];
		if (data !== undefined && serverValues) {
			if (updateHooked) ({ diff: data, increments } = resolveServerValues(data, this.store, Date.now()));
			else data = resolveTimestamps(data, Date.now());
		}
		if (data !== undefined && updateHooked) data = keepIncrements(await this.update(data, false, writer, origin), increments);
		const deleted: string[] = [];
		for (const path of change.deleted) deleted.push(await this.delete(path, writer, origin));
		return data === undefined ? { deleted } : { data, deleted };
	}
}
