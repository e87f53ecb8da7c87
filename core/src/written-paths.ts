import type { NodeDiff } from './node';
import { joinPath } from './path';
import { MessageType, type ClientMessage } from './protocol';

/** A client message answered like a write: numbered, ACK or REJECT. */
type NumberedMessage = Extract<ClientMessage, { seq: number }>;

/**
 * Where a client's write writes: the diff it merges at each path, or none where it deletes (a
 * transaction replaces, which reaches what a delete reaches). An onDisconnect registration writes
 * nothing now. The client's optimistic view and the server's confirmation before an ACK use the
 * same rule.
 */
export function writtenPaths(message: NumberedMessage): [path: string, diff: NodeDiff | undefined][] {
	switch (message.type) {
		case MessageType.SET:
			return [[message.path, message.node]];
		case MessageType.DELETE:
		case MessageType.TRANSACTION:
			return [[message.path, undefined]];
		case MessageType.ON_DISCONNECT:
			return [];
		case MessageType.UPDATE: {
			const written: [string, NodeDiff | undefined][] = message.deleted.map((relative) => [joinPath(message.path, relative), undefined]);
			if (message.node !== undefined) written.push([message.path, message.node]);
			return written;
		}
	}
}
