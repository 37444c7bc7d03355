import Koa from 'koa';
import type { Client } from '@temporalio/client';
import type { RedisClient } from '../clients/redis';
import type { Pool } from 'pg';
import { ApiKeys } from '../api-keys/api-keys';
import { Catalog } from '../catalog/products';
import { BackupClient } from '../backups/backup-client';
import type { Amqp } from '../clients/amqp';
import type { Config } from '../config';
import type { Inventory } from '../inventory/inventory';
import type { Logger } from '../logger';
import { ReconciliationClient } from '../reconciliation/reconciliation-client';
import type { EventPublisher } from '../stock-events/coalescing-publisher';
import { countedPublisher } from '../stock-events/counted-publisher';
import { StockPublisher } from '../stock-events/publisher';
import { observeClients, type ApiMetrics } from './metrics';
import { adminOrApiKey, type ApiKeyConfig } from './middleware/api-key-auth';
import { authenticate } from './middleware/auth';
import { errorMiddleware } from './middleware/errors';
import { guardHttp, type HttpGuardConfig } from './middleware/http-guards';
import { observe } from './middleware/observe';
import { purchaseRateLimits, type RateLimitConfig } from './middleware/rate-limit';
import { requestId } from './middleware/request-id';
import { tokenVerifier, type TokenConfig } from './middleware/token-verifier';
import { openApiRoutes } from './openapi/routes';
import { AdmissionGate } from './purchases/admission';
import { IdempotencyKeys } from './purchases/idempotency';
import { PurchaseOutcomes } from '../purchase-status/purchase-outcomes';
import { PurchaseService } from './purchases/purchase-service';
import { apiKeyRoutes } from './routes/api-keys';
import { payloadCodec } from '../codec/encryption-codec';
import { codecRoutes } from './routes/codec';
import { backupRoutes } from './routes/backups';
import { healthRoutes } from './routes/health';
import { operatorRoutes } from './routes/operator';
import { productRoutes } from './routes/products';
import { purchaseRoutes } from './routes/purchases';
import { reconciliationRoutes } from './routes/reconciliation';
import { OperatorReport } from './operator/operator-report';
import { storefrontRoutes } from './storefront/pages';
import { stockStreamRoutes } from './stream/stock-stream-route';
import type { StockStreams } from './stream/stock-streams';

/** The clients every part of the API shares, each created once by the entry point. */
export interface ApiClients {
  pool: Pool;
  redis: RedisClient;
  amqp: Amqp;
  temporal: Client;
  /** Redis' stock scripts: one per process, shared with the stock fan-out. */
  inventory: Inventory;
}

export type ApiConfig = Pick<
  Config,
  | 'JWT_SECRET'
  | 'RELEASE'
  | 'TEMPORAL_TASK_QUEUE'
  | 'SYNC_DEADLINE_MS'
  | 'SOLD_OUT_CACHE_MS'
  | 'EAGER_START'
  | 'TEMPORAL_START_CONCURRENCY'
  | 'IDEMPOTENCY_KEY_TTL_S'
  | 'PURCHASE_STATUS_TTL_S'
  | 'SSE_RETRY_MS'
  | 'SSE_STALL_TIMEOUT_MS'
  | 'LOG_REFUSAL_SAMPLE'
  | 'WEB_ASSETS_DIR'
  | 'TEMPORAL_UI_URL'
  | 'TEMPORAL_NAMESPACE'
  | 'PAYLOAD_KEYS'
  | 'PAYLOAD_KEY_ID'
> &
  TokenConfig &
  RateLimitConfig &
  ApiKeyConfig &
  HttpGuardConfig;

/** What the routes are built from: the API's services over its clients. */
export interface ApiServices {
  catalog: Catalog;
  purchases: PurchaseService;
  reconciliation: ReconciliationClient;
  backups: BackupClient;
  /** Confirmed publishes of stock events (admin changes, units the API gives back). */
  publisher: EventPublisher;
  report: OperatorReport;
  /** Purchase outcomes in Redis: status reads and sync waits (close it on shutdown). */
  outcomes: PurchaseOutcomes;
  apiKeys: ApiKeys;
}

/** Builds each of the API's services once, from its clients. */
export function createApiServices(
  config: ApiConfig,
  { pool, redis, amqp, temporal, inventory }: ApiClients,
  { logger, metrics }: { logger: Logger; metrics: ApiMetrics },
): ApiServices {
  const publisher = countedPublisher(new StockPublisher(amqp.channel), (outcome) =>
    metrics.stockPublishes.inc({ outcome }),
  );
  const reconciliation = new ReconciliationClient(temporal, config.TEMPORAL_TASK_QUEUE);
  const catalog = new Catalog({ pool, inventory, requestReconciliation: (id) => reconciliation.request(id) });
  const gate = new AdmissionGate(inventory, config.SOLD_OUT_CACHE_MS, {
    productExists: (id) => catalog.exists(id),
    requestRebuild: (id) => reconciliation.request(id),
  });
  const outcomes = new PurchaseOutcomes(redis, config.PURCHASE_STATUS_TTL_S);
  const purchases = new PurchaseService({
    temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    gate,
    idempotencyKeys: new IdempotencyKeys(redis, pool, config.IDEMPOTENCY_KEY_TTL_S),
    inventory,
    outcomes,
    publisher,
    metrics,
    logger,
    syncDeadlineMs: config.SYNC_DEADLINE_MS,
    eagerStart: config.EAGER_START,
    startConcurrency: config.TEMPORAL_START_CONCURRENCY,
  });
  const report = new OperatorReport({
    pool,
    inventory,
    temporalUiUrl: config.TEMPORAL_UI_URL,
    namespace: config.TEMPORAL_NAMESPACE,
  });
  const backups = new BackupClient(temporal, config.TEMPORAL_TASK_QUEUE);
  return { catalog, purchases, reconciliation, backups, publisher, report, outcomes, apiKeys: new ApiKeys(pool) };
}

export interface AppDeps {
  config: ApiConfig;
  clients: ApiClients;
  services: ApiServices;
  logger: Logger;
  metrics: ApiMetrics;
  /** This instance's open stock streams, fed from RabbitMQ (see stream/fan-out.ts). */
  streams: StockStreams;
}

/** Set before anything else runs, so that refusals and errors name their release too. */
function releaseHeader(release: string): Koa.Middleware {
  return async (ctx, next) => {
    ctx.set('X-PulseCart-Release', release);
    await next();
  };
}

/** Wires the HTTP API from services built once by the entry point; tests build it with theirs on port 0. */
export function createApp({ config, clients, services, logger, metrics, streams }: AppDeps): Koa {
  const { pool, redis, amqp, temporal, inventory } = clients;
  const { catalog, purchases, reconciliation, backups, publisher, report, apiKeys } = services;
  observeClients(metrics.registry, { pool, redis });
  const auth = authenticate(tokenVerifier(config));
  const adminOrKey = adminOrApiKey({ keys: apiKeys, redis, config, logger, authenticateToken: auth });

  const app = new Koa();
  app.use(requestId);
  app.use(releaseHeader(config.RELEASE));
  app.use(observe(logger, metrics, config.LOG_REFUSAL_SAMPLE));
  app.use(errorMiddleware(logger));
  guardHttp(app, config);
  // Each router matches every request that reaches it against all of its routes: the crowd's purchase
  // attempts meet the purchase routes first.
  const routers = [
    purchaseRoutes({ purchases, authenticate: auth, rateLimits: purchaseRateLimits(redis, config, logger) }),
    healthRoutes({ pool, redis, amqp, temporal, metrics }),
    productRoutes({ catalog, publisher, authenticate: auth, adminOrApiKey: adminOrKey, logger }),
    apiKeyRoutes({ keys: apiKeys, authenticate: auth }),
    reconciliationRoutes({ reconciliation, authenticate: auth }),
    backupRoutes({ backups, authenticate: auth }),
    stockStreamRoutes({
      streams,
      inventory,
      retryMs: config.SSE_RETRY_MS,
      stallTimeoutMs: config.SSE_STALL_TIMEOUT_MS,
      totals: metrics.sseEvents,
      logger,
    }),
    operatorRoutes({ report, authenticate: auth, adminOrApiKey: adminOrKey }),
    codecRoutes({ codec: payloadCodec(config), authenticate: auth, temporalUiUrl: config.TEMPORAL_UI_URL }),
    storefrontRoutes({ assetsDir: config.WEB_ASSETS_DIR }),
    openApiRoutes(),
  ];
  for (const router of routers) app.use(router.routes()).use(router.allowedMethods());
  return app;
}
