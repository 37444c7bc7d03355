import { Redis } from 'ioredis';
import type { Config } from '../config';

export function createRedis(config: Pick<Config, 'REDIS_URL'>): Redis {
  // Auto-pipelining batches the crowd's concurrent commands into few round trips.
  return new Redis(config.REDIS_URL, { enableAutoPipelining: true, maxRetriesPerRequest: 3 });
}
