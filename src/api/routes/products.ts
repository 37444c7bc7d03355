import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AdminActor } from '../../catalog/audit-log';
import type { Catalog } from '../../catalog/products';
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

  router.post('/admin/products', authenticate, requireAdmin, async (ctx) => {
    ctx.status = 201;
    ctx.body = await catalog.create(parse(createProductBody, ctx.request.body), actorOf(ctx));
  });

  router.put('/admin/products/:id/stock', authenticate, requireAdmin, async (ctx) => {
    const id = parse(idParam, ctx.params.id);
    const { stock } = parse(restockBody, ctx.request.body);
    const { product, snapshot } = await catalog.restock(id, stock, actorOf(ctx));
    // Subscribers learn of the restock; a broker hiccup must not undo it.
    await publisher
      .publish({ productId: id, ...snapshot, ts: Date.now() })
      .catch((err) => logger.warn({ err, productId: id }, 'restock broadcast failed'));
    ctx.body = product;
  });

  return router;
}

/** Whom the audit log names for this request. */
function actorOf(ctx: Context): AdminActor {
  return { userId: principalOf(ctx.state).userId, requestId: requestIdOf(ctx.state) };
}
