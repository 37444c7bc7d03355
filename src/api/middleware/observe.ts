import type { Middleware } from 'koa';
import type { Logger } from '../../logger';
import type { ApiMetrics } from '../metrics';

/** One log line and one histogram sample per request. */
export function observe(logger: Logger, metrics: ApiMetrics): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const ms = performance.now() - started;
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      metrics.httpDuration.observe({ method: ctx.method, route, status: ctx.status }, ms / 1000);
      logger.info(
        {
          method: ctx.method,
          route,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(ms * 10) / 10,
          user: ctx.state.principal?.userId,
          trackingId: ctx.state.trackingId,
          requestId: ctx.state.requestId,
        },
        'request',
      );
    }
  };
}
