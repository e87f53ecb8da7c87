export { createLmdbStore } from './lmdb-store';
export type { ImportProgress, LmdbStore, LmdbStoreOptions } from './lmdb-store';
