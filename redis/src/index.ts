export { redisReplication } from './redis-replication';
export type { RedisReplicationOptions } from './redis-replication';
