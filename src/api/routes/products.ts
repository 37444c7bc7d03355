import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { Catalog, ProductChange } from '../../catalog/products';
import type { EventPublisher } from '../../stock-events/coalescing-publisher';
import type { Logger } from '../../logger';
import type { AdminOrApiKey } from '../middleware/api-key-auth';
import { actorOf, requireAdmin } from '../middleware/auth';
import { createProductBody, idParam, limitQuery, parse, restockBody } from '../validation';

export interface ProductRouteDeps {
  catalog: Catalog;
  publisher: EventPublisher;
  authenticate: Middleware;
  /** Restocks are for admins and for service keys with `stock:write`. */
  adminOrApiKey: AdminOrApiKey;
  logger: Logger;
}

/** Small pages: the storefront opens one live stock stream per product it shows. */
export const productPageQuery = z.object({ limit: limitQuery(10, 50), before: idParam.optional() });

/** Product reads for everyone; create and restock for administrators. */
export function productRoutes({ catalog, publisher, authenticate, adminOrApiKey, logger }: ProductRouteDeps): Router {
  const router = new Router({ prefix: '/api/v1' });

  /** The sale's products, newest first; `next` is the next page's path, null on the last. */
  router.get('/products', async (ctx) => {
    const { limit, before } = parse(productPageQuery, ctx.query);
    const page = await catalog.page(limit, before);
    const next = page.lastShown === undefined ? null : `/api/v1/products?limit=${limit}&before=${page.lastShown}`;
    ctx.body = { products: page.products, next };
  });

  router.get('/products/:id', async (ctx) => {
    ctx.body = await catalog.find(parse(idParam, ctx.params.id));
  });

  /** Subscribers learn of the change; a broker hiccup must not undo it. */
  async function announce({ product, snapshot }: ProductChange): Promise<void> {
    if (!snapshot) return;
    await publisher
      .publish({ productId: product.id, ...snapshot, ts: Date.now() })
      .catch((err) => logger.warn({ err, productId: product.id }, 'stock broadcast failed'));
  }

  router.post('/admin/products', authenticate, requireAdmin, async (ctx) => {
    const change = await catalog.create(parse(createProductBody, ctx.request.body), actorOf(ctx));
    await announce(change);
    ctx.status = 201;
    ctx.body = change.product;
  });

  router.put('/admin/products/:id/stock', adminOrApiKey('stock:write'), async (ctx) => {
    const id = parse(idParam, ctx.params.id);
    const { stock } = parse(restockBody, ctx.request.body);
    const change = await catalog.restock(id, stock, actorOf(ctx));
    await announce(change);
    ctx.body = change.product;
  });

  return router;
}
