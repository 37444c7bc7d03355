import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { AppError, ERRORS } from '../../domain/errors';
import type { RejectionReason } from '../../domain/purchase';
import { principalOf } from '../middleware/auth';
import { answerError } from '../middleware/errors';
import type { PurchaseRateLimits } from '../middleware/rate-limit';
import { rejection } from '../purchases/admission';
import type { Pattern, PurchaseService, PurchaseView } from '../purchases/purchase-service';
import { idempotencyKeyHeader, parse, purchaseBody, purchaseStatusQuery, trackingIdParam } from '../validation';

export interface PurchaseRouteDeps {
  purchases: PurchaseService;
  authenticate: Middleware;
  rateLimits: PurchaseRateLimits;
}

declare module 'koa' {
  interface DefaultState {
    trackingId?: string;
  }
}

/** Sync and async purchase, and the status a buyer polls: HTTP in and out; PurchaseService does the rest. */
export function purchaseRoutes({ purchases, authenticate, rateLimits }: PurchaseRouteDeps): Router {
  const router = new Router({ prefix: '/api/v1' });
  const guards = [rateLimits.perAddress, authenticate, rateLimits.perBuyer];

  const purchase = (pattern: Pattern) => async (ctx: Context) => {
    const { userId } = principalOf(ctx.state);
    const body = parse(purchaseBody, ctx.request.body);
    // An empty key is a client's mistake, not the absence of one: it must not quietly turn off deduplication.
    const idempotencyKey = parse(idempotencyKeyHeader, ctx.headers['idempotency-key']);
    const order = { userId, ...body, idempotencyKey };
    const soldOut = await purchases.soldOutRefusal(pattern, order);
    if (soldOut) return answerError(ctx, soldOut);
    await rateLimits.beforeReserving(ctx);
    const view = await purchases.purchase(pattern, order);
    ctx.state.trackingId = view.trackingId;
    respond(ctx, view);
  };

  router.post('/sync/purchase', ...guards, purchase('sync'));
  router.post('/async/purchase', ...guards, purchase('async'));

  // A read may be a Temporal describe: limited per address and per buyer like purchases, on a budget of its own.
  router.get(
    '/purchases/:trackingId',
    rateLimits.statusPerAddress,
    authenticate,
    rateLimits.statusPerBuyer,
    async (ctx) => {
      const trackingId = parse(trackingIdParam, ctx.params.trackingId);
      const { wait = 0 } = parse(purchaseStatusQuery, ctx.query);
      ctx.state.trackingId = trackingId;
      ctx.body = await purchases.view(trackingId, principalOf(ctx.state), wait * 1000);
    },
  );

  return router;
}

/**
 * CONFIRMED is 200; PENDING is 202 with where to poll; a rejection is the
 * 404/409/422 naming its reason; a failure is a 503 the buyer may retry.
 */
function respond(ctx: Context, view: PurchaseView): void {
  const details = { trackingId: view.trackingId };
  switch (view.status) {
    case 'CONFIRMED':
      ctx.body = view;
      return;
    case 'PENDING': {
      const statusUrl = `/api/v1/purchases/${view.trackingId}`;
      ctx.status = 202;
      ctx.set('Location', statusUrl);
      ctx.body = { trackingId: view.trackingId, status: 'PENDING', statusUrl };
      return;
    }
    case 'REJECTED':
      throw rejection((view.reason ?? 'SOLD_OUT') as RejectionReason, details);
    case 'FAILED':
      // The code stays PURCHASE_FAILED for every failure; the message says which failure it was, when known.
      throw new AppError('PURCHASE_FAILED', { message: ERRORS[view.reason ?? 'PURCHASE_FAILED'].message, details });
  }
}
