// `@socketdb/core/testing`: suites for code built on SocketDB (they need vitest), kept out of the main entry.
export { describeStoreContract } from './store-contract';
