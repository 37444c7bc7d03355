import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { AppError, rejectionMessages } from '../../domain/errors';
import type { PurchaseOutcome } from '../../domain/purchase';
import { principalOf } from '../middleware/auth';
import type { ApiMetrics } from '../metrics';
import type { PurchaseRateLimits } from '../middleware/rate-limit';
import type { Admitted, PurchaseService } from '../purchases/purchase-service';
import { idempotencyKeyHeader, parse, purchaseBody, trackingIdParam } from '../validation';

export interface PurchaseRouteDeps {
  purchases: PurchaseService;
  metrics: ApiMetrics;
  authenticate: Middleware;
  rateLimits: PurchaseRateLimits;
  syncDeadlineMs: number;
}

declare module 'koa' {
  interface DefaultState {
    trackingId?: string;
  }
}

/** Sync and async purchase, and the status a buyer polls. */
export function purchaseRoutes({
  purchases,
  metrics,
  authenticate,
  rateLimits,
  syncDeadlineMs,
}: PurchaseRouteDeps): Router {
  const router = new Router({ prefix: '/api/v1' });
  // Polling the status is not limited: it reads Temporal, and takes no stock.
  const guards = [rateLimits.perAddress, authenticate, rateLimits.perBuyer];

  async function begin(ctx: Context, pattern: 'sync' | 'async'): Promise<Admitted> {
    const { userId } = principalOf(ctx.state);
    const body = parse(purchaseBody, ctx.request.body);
    // An empty key is a client's mistake, not the absence of one: it must not quietly turn off deduplication.
    const key = parse(idempotencyKeyHeader, ctx.headers['idempotency-key']);
    try {
      const admitted = await purchases.begin(userId, body, key);
      ctx.state.trackingId = admitted.request.trackingId;
      return admitted;
    } catch (err) {
      metrics.purchases.inc({ pattern, outcome: err instanceof AppError ? err.code : 'ERROR' });
      throw err;
    }
  }

  function accepted(ctx: Context, trackingId: string): void {
    const statusUrl = `/api/v1/purchases/${trackingId}`;
    ctx.status = 202;
    ctx.set('Location', statusUrl);
    ctx.body = { trackingId, status: 'PENDING', statusUrl };
  }

  router.post('/sync/purchase', ...guards, async (ctx) => {
    const admitted = await begin(ctx, 'sync');
    const outcome = await purchases.waitFor(admitted, syncDeadlineMs);
    metrics.purchases.inc({ pattern: 'sync', outcome: outcome?.status ?? 'PENDING' });
    if (!outcome) return accepted(ctx, admitted.request.trackingId);
    respondWithOutcome(ctx, outcome);
  });

  router.post('/async/purchase', ...guards, async (ctx) => {
    const { request } = await begin(ctx, 'async');
    metrics.purchases.inc({ pattern: 'async', outcome: 'PENDING' });
    accepted(ctx, request.trackingId);
  });

  router.get('/purchases/:trackingId', authenticate, async (ctx) => {
    const trackingId = parse(trackingIdParam, ctx.params.trackingId);
    ctx.state.trackingId = trackingId;
    ctx.body = await purchases.view(trackingId, principalOf(ctx.state));
  });

  return router;
}

/** CONFIRMED is 200; a rejection is a 409 naming its reason; a failure is a 503 the buyer may retry. */
function respondWithOutcome(ctx: Context, outcome: PurchaseOutcome): void {
  if (outcome.status === 'CONFIRMED') {
    ctx.body = outcome;
    return;
  }
  const reason = outcome.reason ?? 'COMMIT_FAILED';
  const details = { trackingId: outcome.trackingId };
  if (outcome.status === 'REJECTED') throw new AppError(reason, rejectionMessages[reason], 409, details);
  throw new AppError('PURCHASE_FAILED', rejectionMessages[reason], 503, details);
}
