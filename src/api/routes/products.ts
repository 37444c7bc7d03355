import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AdminActor } from '../../catalog/audit-log';
import type { Catalog, ProductChange } from '../../catalog/products';
import type { EventPublisher } from '../../stock-events/coalescing-publisher';
import type { Logger } from '../../logger';
import { principalOf, requireAdmin } from '../middleware/auth';
import { requestIdOf } from '../middleware/request-id';
import { createProductBody, idParam, parse, restockBody } from '../validation';

export interface ProductRouteDeps {
  catalog: Catalog;
  publisher: EventPublisher;
  authenticate: Middleware;
  logger: Logger;
}

/** Product reads for everyone; create and restock for administrators. */
export function productRoutes({ catalog, publisher, authenticate, logger }: ProductRouteDeps): Router {
  const router = new Router({ prefix: '/api/v1' });

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

  router.put('/admin/products/:id/stock', authenticate, requireAdmin, async (ctx) => {
    const id = parse(idParam, ctx.params.id);
    const { stock } = parse(restockBody, ctx.request.body);
    const change = await catalog.restock(id, stock, actorOf(ctx));
    await announce(change);
    ctx.body = change.product;
  });

  return router;
}

/** Whom the audit log names for this request. */
function actorOf(ctx: Context): AdminActor {
  return { userId: principalOf(ctx.state).userId, requestId: requestIdOf(ctx.state) };
}
