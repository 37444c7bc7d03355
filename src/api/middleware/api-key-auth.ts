import type { Context, Middleware } from 'koa';
import type { RedisClient } from '../../clients/redis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { type ApiKeys, type ApiKeyScope } from '../../api-keys/api-keys';
import type { Config } from '../../config';
import { AppError, ERRORS } from '../../domain/errors';
import type { Logger } from '../../logger';
import { idParam } from '../validation';
import { actorOf, principalOf, requireAdmin } from './auth';
import { limitBy } from './rate-limit';

export type ApiKeyConfig = Pick<Config, 'API_KEY_RATE_LIMIT_POINTS' | 'API_KEY_RATE_LIMIT_DURATION_S'>;

export interface ApiKeyAccessDeps {
  keys: ApiKeys;
  redis: RedisClient;
  config: ApiKeyConfig;
  logger: Logger;
  /** The Bearer-token authentication of every other route. */
  authenticateToken: Middleware;
}

/** Guards a route with the scope a service key needs to call it; an admin's token passes as before. */
export type AdminOrApiKey = (scope: ApiKeyScope) => Middleware;

const SCHEME = 'ApiKey ';

/**
 * `Authorization: ApiKey <secret>` on the few admin routes a service may call,
 * `Authorization: Bearer <admin JWT>` on them as before. A key is checked
 * (401 unknown, revoked or expired), counted against its own rate limit (429),
 * held to the route's scope (403), and each call it is let through for is in
 * admin_audit_log before the route runs. Other routes know only Bearer
 * tokens, so a key can never buy or administer anything else.
 */
export function adminOrApiKey({ keys, redis, config, logger, authenticateToken }: ApiKeyAccessDeps): AdminOrApiKey {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: 'pulsecart:rate:api-key',
    points: config.API_KEY_RATE_LIMIT_POINTS,
    duration: config.API_KEY_RATE_LIMIT_DURATION_S,
    rejectIfRedisNotReady: true,
  });
  const perKey = limitBy(limiter, (ctx) => principalOf(ctx.state).userId, logger);
  const asAdmin: Middleware = (ctx, next) => authenticateToken(ctx, () => requireAdmin(ctx, next));

  return (scope) => async (ctx, next) => {
    const authorization = ctx.get('authorization');
    if (!authorization.startsWith(SCHEME)) return asAdmin(ctx, next);
    const key = await keys.verify(authorization.slice(SCHEME.length));
    ctx.state.principal = { userId: `api-key:${key.id}`, isAdmin: false };
    await perKey(ctx, async () => {
      if (!key.scopes.includes(scope)) {
        throw new AppError('INSUFFICIENT_SCOPE', {
          message: `${ERRORS.INSUFFICIENT_SCOPE.message} It needs "${scope}".`,
        });
      }
      await keys.recordUse(actorOf(ctx), { productId: productIdOf(ctx), method: ctx.method, path: ctx.path });
      await next();
    });
  };
}

/** The product a route's `:id` names, when it is one; the route itself refuses a bad id. */
function productIdOf(ctx: Context): number | null {
  const parsed = idParam.safeParse(ctx.params?.id);
  return parsed.success ? parsed.data : null;
}
