import type { Context, Middleware } from 'koa';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from '../../clients/redis';
import type { Config } from '../../config';
import { AppError } from '../../domain/errors';
import type { Logger } from '../../logger';
import { principalOf } from './auth';
import { LocalWindows } from './local-windows';

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
  /** In this process, before authentication: a flood of bad tokens from one host is refused without Redis. */
  perAddress: Middleware;
  /** In this process, after authentication: every attempt of one buyer, valid or not. */
  perBuyer: Middleware;
  /**
   * The same budgets shared by every API replica (Redis), for the attempts that go on to reserve stock: the crowd's
   * sold-out answers never pay a Redis round trip for them.
   */
  beforeReserving(ctx: Context): Promise<void>;
  /** Status reads (each may be a Temporal describe), counted apart from purchase attempts, shared by replicas. */
  statusPerAddress: Middleware;
  /** Not for administrators: an operator checking a sale reads every purchase of it. */
  statusPerBuyer: Middleware;
}

type Scope = { points: number; durationS: number };

/** What both kinds of limiter offer: rate-limiter-flexible's contract. */
interface Limiter {
  consume(key: string): Promise<RateLimiterRes>;
  readonly keyPrefix: string;
}

/** Keys each in-process limiter keeps (buyers or addresses seen within a window): a few MB at most. */
const LOCAL_KEYS = 50_000;

/**
 * Fixed windows per client address and per buyer. Purchase attempts meet an
 * in-process count first (each replica counts on its own, so N replicas let
 * N budgets through it), then, if they reach the reservation, the count in
 * Redis that every replica shares.
 */
export function purchaseRateLimits(redis: RedisClient, config: RateLimitConfig, logger: Logger): PurchaseRateLimits {
  const address: Scope = { points: config.RATE_LIMIT_IP_POINTS, durationS: config.RATE_LIMIT_IP_DURATION_S };
  const buyer: Scope = { points: config.RATE_LIMIT_USER_POINTS, durationS: config.RATE_LIMIT_USER_DURATION_S };
  const status: Scope = { points: config.RATE_LIMIT_STATUS_POINTS, durationS: config.RATE_LIMIT_STATUS_DURATION_S };
  const local = (name: string, scope: Scope) =>
    new LocalWindows(scope.points, scope.durationS, LOCAL_KEYS, `pulsecart:rate:${name}:local`);
  const shared = (name: string, scope: Scope) =>
    new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `pulsecart:rate:${name}`,
      points: scope.points,
      duration: scope.durationS,
      // While Redis is not connected, give up at once instead of queueing behind ioredis' retries.
      rejectIfRedisNotReady: true,
    });
  const sharedByAddress = shared('purchase:ip', address);
  const sharedByBuyer = shared('purchase:user', buyer);
  return {
    perAddress: limitBy(local('purchase:ip', address), addressOf, logger),
    perBuyer: limitBy(local('purchase:user', buyer), buyerOf, logger),
    async beforeReserving(ctx) {
      await consume(sharedByAddress, addressOf(ctx), ctx, logger);
      await consume(sharedByBuyer, buyerOf(ctx), ctx, logger);
    },
    statusPerAddress: limitBy(shared('status:ip', address), addressOf, logger),
    statusPerBuyer: exceptAdmins(limitBy(shared('status:user', status), buyerOf, logger)),
  };
}

const addressOf = (ctx: Context) => ctx.ip;
const buyerOf = (ctx: Context) => principalOf(ctx.state).userId;

function exceptAdmins(limit: Middleware): Middleware {
  return (ctx, next) => (principalOf(ctx.state).isAdmin ? next() : limit(ctx, next));
}

/** Counts each request against `keyOf(ctx)`'s window; past it, 429 RATE_LIMITED with Retry-After. */
export function limitBy(limiter: Limiter, keyOf: (ctx: Context) => string, logger: Logger): Middleware {
  return async (ctx, next) => {
    await consume(limiter, keyOf(ctx), ctx, logger);
    await next();
  };
}

async function consume(limiter: Limiter, key: string, ctx: Context, logger: Logger): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) {
      ctx.set('Retry-After', String(Math.max(1, Math.ceil(err.msBeforeNext / 1000))));
      throw new AppError('RATE_LIMITED');
    }
    // Fail open. The admission gate that comes next needs this same Redis: while it is down no purchase
    // can be admitted anyway, and the gate refuses it. Failing closed here would only refuse buyers a second
    // time for the same outage, and turn one slow limiter command into refused purchases mid-sale.
    logger.warn({ err, scope: limiter.keyPrefix }, 'rate limiter unavailable; request let through');
  }
}
