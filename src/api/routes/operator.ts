import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { AdminOrApiKey } from '../middleware/api-key-auth';
import { requireAdmin } from '../middleware/auth';
import type { OperatorReport } from '../operator/operator-report';
import { idParam, limitQuery, parse } from '../validation';

export interface OperatorRouteDeps {
  report: OperatorReport;
  authenticate: Middleware;
  /** A product's orders are for admins and for service keys with `orders:read`. */
  adminOrApiKey: AdminOrApiKey;
}

export const productsLimit = limitQuery(50, 200);
export const ordersLimit = limitQuery(20, 100);
/** Seconds with orders in a sale's timeline: ten minutes of a busy sale by default. */
export const saleSeconds = limitQuery(600, 3600);

/** Read-only JSON for the operator view, for administrators. */
export function operatorRoutes({ report, authenticate, adminOrApiKey }: OperatorRouteDeps): Router {
  const router = new Router({ prefix: '/api/v1/admin' });

  router.get('/products', authenticate, requireAdmin, async (ctx) => {
    ctx.body = await report.products(parse(productsLimit, ctx.query.limit));
  });

  router.get('/products/:id/orders', adminOrApiKey('orders:read'), async (ctx) => {
    const id = parse(idParam, ctx.params.id);
    ctx.body = await report.recentOrders(id, parse(ordersLimit, ctx.query.limit));
  });

  router.get('/products/:id/sale', authenticate, requireAdmin, async (ctx) => {
    const id = parse(idParam, ctx.params.id);
    ctx.body = await report.sale(id, parse(saleSeconds, ctx.query.seconds));
  });

  return router;
}
