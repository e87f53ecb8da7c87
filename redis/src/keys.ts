/**
 * The Redis keys of one cluster, all under `socketdb:{name}:`. The braces make them one hash
 * slot, so a cluster's keys live together on Redis Cluster too, and one script may touch them.
 */
export type ClusterKeys = {
	/** The stream: the log of changes, in the database's order; an entry's id is `0-<revision>`. */
	log: string;
	/** The channel each append publishes its entries on, so the processes need not ask for them. */
	changes: string;
	/** The database's id. */
	database: string;
	/** Where the latest snapshot is and what it holds (a hash). */
	snapshot: string;
	/** The list of a snapshot's chunks. */
	snapshotChunks: (revision: number) => string;
	/** Held by the process writing a snapshot. */
	snapshotLock: string;
	/** The channel the processes publish their connection counts on. */
	stats: string;
};

export function clusterKeys(name: string): ClusterKeys {
	const prefix = `socketdb:{${name}}:`;
	return {
		log: `${prefix}log`,
		changes: `${prefix}changes`,
		database: `${prefix}database`,
		snapshot: `${prefix}snapshot`,
		snapshotChunks: (revision) => `${prefix}snapshot:${revision}`,
		snapshotLock: `${prefix}snapshot-lock`,
		stats: `${prefix}stats`,
	};
}
