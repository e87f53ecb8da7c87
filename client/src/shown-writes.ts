import { writtenPaths } from '@socketdb/core';
import type { Listeners } from './listeners';
import type { LocalWrite } from './local-write';
import type { OptimisticView } from './optimistic-view';
import type { ServerSubscriptions } from './subscriptions';

/**
 * Tells listeners about the client's own writes in its view (see `OptimisticView`): a write that
 * shows at once, and writes that leave the view, refused or with their change in the server's
 * data now.
 */
export function createShownWrites(view: OptimisticView, listeners: Listeners, subscriptions: ServerSubscriptions, optimistic: boolean) {
	/** Writes shown in this synchronous run, whose listeners hear of them in a microtask. */
	let shown: LocalWrite[] | undefined;

	/** Listeners of what a write wrote look again (where no subscription covers the written path, those of the subscriptions below it). */
	function refresh(write: LocalWrite): void {
		for (const [path, diff] of writtenPaths(write)) {
			if (subscriptions.coveringValue(path) !== undefined) listeners.refresh(path, diff);
			else for (const below of subscriptions.valuePathsAtOrBelow(path)) listeners.refresh(below);
		}
	}

	return {
		refresh,

		/**
		 * Shows a write whose hooks ran. Its listeners hear of it in a microtask, with the other
		 * writes of this synchronous run, one call each: never inside `set`, whose caller may be a
		 * listener itself, and before the next macrotask.
		 */
		show(seq: number, write: LocalWrite): void {
			if (!optimistic || !view.add(seq, write)) return;
			if (shown === undefined) {
				shown = [];
				queueMicrotask(() => {
					const writes = shown!;
					shown = undefined;
					for (const each of writes) refresh(each);
				});
			}
			shown.push(write);
		},

		/** Writes left the view. */
		withdraw(writes: readonly LocalWrite[]): void {
			for (const write of writes) refresh(write);
		},

		/**
		 * Acknowledged writes whose change the subscriptions now hold leave the view; their listeners
		 * look again after `changed` (which tells the listeners of what just changed), when given.
		 */
		settle(changed?: () => void): void {
			const settled = view.settle();
			changed?.();
			for (const write of settled) refresh(write);
		},
	};
}
