import { SocketDBError, unwrap, type Json, type Node, type NodeDiff } from '@socketdb/core';
import type { ServerPlugin, SessionContext, SocketDBServerDataAPI } from '@socketdb/server';
import { settleRead, settleWrite, type Decision, type RulesWorld, type WriteRequest } from './decide';
import { compileRules, type Rules } from './rule-tree';

export type { Rule, RuleContext, Rules } from './rule-tree';

/** Who wrote: a client, or (`id` null) the server itself. */
type Writer = { readonly id: string | null; readonly context: unknown };

/**
 * Declarative access rules, as Firebase's Realtime Database has them: a tree keyed by path
 * segment, with `.read`, `.write` and `.validate` at any level and `$name` keys that match any
 * segment. With the plugin installed, a client may read or write only what a rule grants:
 *
 * - `.read` and `.write` cascade: a grant covers everything below, and a deeper rule cannot take
 *   it back. Subscriptions (values, keys and queries) need a `.read` at or above their path.
 * - Every place a write writes needs a `.write` at or above it; then every `.validate` the write
 *   reaches (along the way and at or below what it writes) must pass.
 * - A refusal is `FORBIDDEN`, naming the rule's path. A rule function that throws denies; its
 *   error goes to the server's `onError` (as the refusal's `cause`), never to the client.
 * - Writes the server makes itself (`server.update`, `server.delete`) are not checked.
 *
 * @throws TypeError at once when the rule tree is malformed.
 * @example
 * SocketDBServer({ plugins: [pluginRules({ users: { $uid: { '.read': true, '.write': ({ auth, params }) => auth.uid === params.uid } } })] });
 */
export function pluginRules<Schema extends Json = Json>(rules: Rules): ServerPlugin<Schema> {
	const root = compileRules(rules);
	const world = (client: Writer, api: SocketDBServerDataAPI<Schema>): RulesWorld => ({
		auth: client.context as SessionContext,
		now: Date.now(),
		read: (path) => {
			const node = api.get(path);
			return node === null ? null : unwrap(node as Node);
		},
	});
	const enforce = (decision: Decision | Promise<Decision>): void | Promise<void> => {
		if (decision instanceof Promise) return decision.then(refuseUnlessAllowed);
		refuseUnlessAllowed(decision);
	};
	const write = (request: WriteRequest, client: Writer, api: SocketDBServerDataAPI<Schema>): void | Promise<void> => {
		// The server's own writes are not the clients': rules do not apply to them.
		if (client.id === null) return;
		return enforce(settleWrite(root, request, world(client, api)));
	};
	return {
		name: 'rules',
		hooks: {
			'server:update': ({ data, replaces }, { client, api }) => write({ diff: data as NodeDiff, replaces }, client, api),
			'server:delete': ({ path }, { client, api }) => write({ deleted: path }, client, api),
			'server:subscribe': ({ path, query }, { client, api }) => enforce(settleRead(root, path, query, world(client, api))),
		},
	};
}

function refuseUnlessAllowed(decision: Decision): void {
	if (decision.allowed) return;
	const error = new SocketDBError('FORBIDDEN', decision.message);
	if (decision.cause !== undefined) Object.defineProperty(error, 'cause', { value: decision.cause, enumerable: false });
	throw error;
}
