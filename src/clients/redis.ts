import { Cluster, Redis } from 'ioredis';
import type { Config } from '../config';

/** A single Redis or a Redis Cluster: every key PulseCart uses in one command or script shares a hash tag. */
export type RedisClient = Redis | Cluster;

/**
 * How long a command waits for a failover: a dead primary is noticed after the cluster's node timeout
 * (cluster-node-timeout; 3 s with `npm run cluster`) and its replica elected about a second later.
 */
const FAILOVER_RIDE_OUT_MS = 6000;
const FAILOVER_RETRY_DELAY_MS = 250;

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
    // A command whose primary died is retried on a fresh slot map until its replica took over.
    retryDelayOnFailover: FAILOVER_RETRY_DELAY_MS,
    maxRedirections: Math.ceil(FAILOVER_RIDE_OUT_MS / FAILOVER_RETRY_DELAY_MS),
  });
}

/** Commands sent and not answered yet, over every node of a cluster. */
export function pendingCommands(redis: RedisClient): number {
  const connections = redis instanceof Cluster ? redis.nodes() : [redis];
  return connections.reduce((sum, connection) => sum + connection.commandQueue.length, 0);
}

/** A second connection like `redis`, for what takes a connection over (a pub/sub subscription). */
export function duplicateRedis(redis: RedisClient): RedisClient {
  return redis instanceof Cluster ? redis.duplicate() : redis.duplicate();
}
