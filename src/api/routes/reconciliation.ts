import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ReconciliationClient } from '../../reconciliation/reconciliation-client';
import { requireAdmin } from '../middleware/auth';
import { parse, reconcileBody } from '../validation';

/** On-demand reconciliation for operators; the same workflow the minute schedule runs. */
export function reconciliationRoutes({
  reconciliation,
  authenticate,
}: {
  reconciliation: ReconciliationClient;
  authenticate: Middleware;
}): Router {
  const router = new Router({ prefix: '/api/v1' });
  router.post('/admin/reconcile', authenticate, requireAdmin, async (ctx) => {
    const { productIds } = parse(reconcileBody, ctx.request.body ?? {});
    ctx.body = { products: await reconciliation.run(productIds) };
  });
  return router;
}
