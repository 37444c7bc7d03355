import type { Context, Middleware } from 'koa';
import type { RedisClient } from '../../clients/redis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../../config';
import { AppError } from '../../domain/errors';
import type { Logger } from '../../logger';
import { principalOf } from './auth';

export type RateLimitConfig = Pick<
  Config,
  | 'RATE_LIMIT_USER_POINTS'
  | 'RATE_LIMIT_USER_DURATION_S'
  | 'RATE_LIMIT_IP_POINTS'
  | 'RATE_LIMIT_IP_DURATION_S'
  | 'RATE_LIMIT_STATUS_POINTS'
  | 'RATE_LIMIT_STATUS_DURATION_S'
>;

export interface PurchaseRateLimits {
  /** Before authentication, so that a flood of bad tokens from one host is limited too. */
  perAddress: Middleware;
  /** After authentication: every purchase attempt of one buyer, valid or not, whatever address it comes from. */
  perBuyer: Middleware;
  /** Status reads (each a Temporal describe), counted apart from purchase attempts. */
  statusPerAddress: Middleware;
  statusPerBuyer: Middleware;
}

/** Fixed windows counted in Redis, so that every API replica shares one count per buyer and per address. */
export function purchaseRateLimits(redis: RedisClient, config: RateLimitConfig, logger: Logger): PurchaseRateLimits {
  const limiter = (scope: string, points: number, durationS: number) =>
    new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `pulsecart:rate:purchase:${scope}`,
      points,
      duration: durationS,
      // While Redis is not connected, give up at once instead of queueing behind ioredis' retries.
      rejectIfRedisNotReady: true,
    });
  const byAddress = limiter('ip', config.RATE_LIMIT_IP_POINTS, config.RATE_LIMIT_IP_DURATION_S);
  const byBuyer = limiter('user', config.RATE_LIMIT_USER_POINTS, config.RATE_LIMIT_USER_DURATION_S);
  const statusByAddress = limiter('status-ip', config.RATE_LIMIT_IP_POINTS, config.RATE_LIMIT_IP_DURATION_S);
  const statusByBuyer = limiter('status-user', config.RATE_LIMIT_STATUS_POINTS, config.RATE_LIMIT_STATUS_DURATION_S);
  const address = (ctx: Context) => ctx.ip;
  const buyer = (ctx: Context) => principalOf(ctx.state).userId;
  return {
    perAddress: limitBy(byAddress, address, logger),
    perBuyer: limitBy(byBuyer, buyer, logger),
    statusPerAddress: limitBy(statusByAddress, address, logger),
    statusPerBuyer: limitBy(statusByBuyer, buyer, logger),
  };
}

function limitBy(limiter: RateLimiterRedis, keyOf: (ctx: Context) => string, logger: Logger): Middleware {
  return async (ctx, next) => {
    const key = keyOf(ctx);
    try {
      await limiter.consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        ctx.set('Retry-After', String(Math.max(1, Math.ceil(err.msBeforeNext / 1000))));
        throw new AppError('RATE_LIMITED', 'Too many requests; retry after Retry-After seconds.', 429);
      }
      // Fail open. The admission gate that comes next needs this same Redis: while it is down no purchase
      // can be admitted anyway, and the gate refuses it. Failing closed here would only refuse buyers a second
      // time for the same outage, and turn one slow limiter command into refused purchases mid-sale.
      logger.warn({ err, scope: limiter.keyPrefix }, 'rate limiter unavailable; request let through');
    }
    await next();
  };
}
