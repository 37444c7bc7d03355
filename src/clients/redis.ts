import { Cluster, Redis } from 'ioredis';
import type { Config } from '../config';

/** A single Redis or a Redis Cluster: every key PulseCart uses in one command or script shares a hash tag. */
export type RedisClient = Redis | Cluster;

export function createRedis(config: Pick<Config, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>): RedisClient {
  // Auto-pipelining batches the crowd's concurrent commands into few round trips.
  if (config.REDIS_CLUSTER_NODES.length === 0) {
    return new Redis(config.REDIS_URL, { enableAutoPipelining: true, maxRetriesPerRequest: 3 });
  }
  // Replicas are for failover only: a reservation read back from a replica could be stale.
  return new Cluster(config.REDIS_CLUSTER_NODES, {
    enableAutoPipelining: true,
    scaleReads: 'master',
    redisOptions: { maxRetriesPerRequest: 3 },
  });
}

/** Commands sent and not answered yet, over every node of a cluster. */
export function pendingCommands(redis: RedisClient): number {
  const connections = redis instanceof Cluster ? redis.nodes() : [redis];
  return connections.reduce((sum, connection) => sum + connection.commandQueue.length, 0);
}
