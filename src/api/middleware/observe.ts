import type { Middleware } from 'koa';
import type { Logger } from '../../logger';
import type { ApiMetrics } from '../metrics';

/**
 * One histogram sample per request, and one log line per request, except for
 * the crowd's refusals (a 409 that never became a purchase: sold out, limit):
 * one line in every `refusalSample` stands for them, with `sample` saying how
 * many; the histogram still counts each one.
 */
export function observe(logger: Logger, metrics: ApiMetrics, refusalSample: number): Middleware {
  let refusals = 0;
  const logged = (ctx: { status: number; state: { trackingId?: string } }): number | undefined => {
    if (ctx.status !== 409 || ctx.state.trackingId !== undefined || refusalSample <= 1) return 1;
    refusals += 1;
    return refusals % refusalSample === 0 ? refusalSample : undefined;
  };
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const ms = performance.now() - started;
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      metrics.httpDuration.observe({ method: ctx.method, route, status: ctx.status }, ms / 1000);
      const sample = logged(ctx);
      if (sample !== undefined)
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
            ...(sample > 1 ? { sample } : {}),
          },
          'request',
        );
    }
  };
}
