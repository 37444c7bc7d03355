import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { Catalog } from '../catalog/products';
import type { Amqp } from '../clients/amqp';
import type { Config } from '../config';
import { Inventory } from '../inventory/inventory';
import type { Logger } from '../logger';
import { ReconciliationClient } from '../reconciliation/reconciliation-client';
import { countedPublisher } from '../stock-events/counted-publisher';
import { StockPublisher } from '../stock-events/publisher';
import { observeClients, type ApiMetrics } from './metrics';
import { authenticate } from './middleware/auth';
import { errorMiddleware } from './middleware/errors';
import { guardHttp, type HttpGuardConfig } from './middleware/http-guards';
import { observe } from './middleware/observe';
import { purchaseRateLimits, type RateLimitConfig } from './middleware/rate-limit';
import { requestId } from './middleware/request-id';
import { tokenVerifier, type TokenConfig } from './middleware/token-verifier';
import { openApiRoutes } from './openapi/routes';
import { AdmissionGate } from './purchases/admission';
import { PurchaseService } from './purchases/purchase-service';
import { healthRoutes } from './routes/health';
import { operatorRoutes } from './routes/operator';
import { productRoutes } from './routes/products';
import { purchaseRoutes } from './routes/purchases';
import { reconciliationRoutes } from './routes/reconciliation';
import { OperatorReport } from './storefront/operator-report';
import { storefrontRoutes } from './storefront/pages';
import { stockStreamRoutes } from './stream/stock-stream-route';
import type { StockStreams } from './stream/stock-streams';

export interface AppDeps {
  config: Pick<
    Config,
    | 'JWT_SECRET'
    | 'TEMPORAL_TASK_QUEUE'
    | 'SYNC_DEADLINE_MS'
    | 'SOLD_OUT_CACHE_MS'
    | 'SSE_RETRY_MS'
    | 'SSE_STALL_TIMEOUT_MS'
    | 'WEB_ASSETS_DIR'
    | 'TEMPORAL_UI_URL'
    | 'TEMPORAL_NAMESPACE'
  > &
    TokenConfig &
    RateLimitConfig &
    HttpGuardConfig;
  pool: Pool;
  redis: Redis;
  amqp: Amqp;
  temporal: Client;
  logger: Logger;
  metrics: ApiMetrics;
  /** This instance's open stock streams, fed from RabbitMQ (see stream/fan-out.ts). */
  streams: StockStreams;
}

/** Builds the HTTP API from its clients; tests build it with real ones on port 0. */
export function createApp({ config, pool, redis, amqp, temporal, logger, metrics, streams }: AppDeps): Koa {
  const inventory = new Inventory(redis);
  const publisher = countedPublisher(new StockPublisher(amqp.channel), (outcome) =>
    metrics.stockPublishes.inc({ outcome }),
  );
  observeClients(metrics.registry, { pool, redis });
  const auth = authenticate(tokenVerifier(config));
  const catalog = new Catalog(pool, inventory);
  const reconciliation = new ReconciliationClient(temporal, config.TEMPORAL_TASK_QUEUE);
  const gate = new AdmissionGate(inventory, metrics, config.SOLD_OUT_CACHE_MS, {
    productExists: (id) => catalog.exists(id),
    requestRebuild: (id) => reconciliation.request(id),
  });
  const purchases = new PurchaseService({ temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, gate, inventory, metrics });

  const app = new Koa();
  app.use(requestId);
  app.use(observe(logger, metrics));
  app.use(errorMiddleware(logger));
  guardHttp(app, config);
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '16kb', strict: true }));
  const routers = [
    healthRoutes({ pool, redis, amqp, temporal, metrics }),
    productRoutes({ catalog, publisher, authenticate: auth, logger }),
    reconciliationRoutes({ reconciliation, authenticate: auth }),
    purchaseRoutes({
      purchases,
      metrics,
      authenticate: auth,
      rateLimits: purchaseRateLimits(redis, config, logger),
      syncDeadlineMs: config.SYNC_DEADLINE_MS,
    }),
    stockStreamRoutes({
      streams,
      inventory,
      retryMs: config.SSE_RETRY_MS,
      stallTimeoutMs: config.SSE_STALL_TIMEOUT_MS,
      totals: metrics.sseEvents,
      logger,
    }),
    operatorRoutes({
      report: new OperatorReport({
        pool,
        inventory,
        temporalUiUrl: config.TEMPORAL_UI_URL,
        namespace: config.TEMPORAL_NAMESPACE,
      }),
      authenticate: auth,
    }),
    storefrontRoutes({ assetsDir: config.WEB_ASSETS_DIR }),
    openApiRoutes(),
  ];
  for (const router of routers) app.use(router.routes()).use(router.allowedMethods());
  return app;
}
