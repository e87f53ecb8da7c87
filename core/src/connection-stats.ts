import { createRecord } from './json';
import type { ConnectionStats } from './protocol';

/**
 * Adds the counts of `stats` to `sum`, in place: several processes' counts make the cluster's. A
 * query count map is added to `sum` (without a prototype: the names are the clients' words) only
 * when `stats` counts queries, so stats without live queries keep SocketDB's shape.
 */
export function addConnectionStats(sum: ConnectionStats, stats: ConnectionStats): void {
	sum.total += stats.total;
	addCounts(sum.versions, stats.versions);
	addCounts(sum.routes, stats.routes);
	if (stats.queries !== undefined && Object.keys(stats.queries).length > 0) addCounts((sum.queries ??= createRecord<number>()), stats.queries);
}

function addCounts(sum: Record<string, number>, counts: Record<string, number>): void {
	for (const [key, count] of Object.entries(counts)) sum[key] = (sum[key] ?? 0) + count;
}
