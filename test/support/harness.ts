/**
 * A whole PulseCart for one test file: real PostgreSQL, Redis, RabbitMQ and
 * Temporal, a real SDK worker on a task queue of its own, and the API on a
 * free port. Each test makes its own products and buyers.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { RedisClient } from '../../src/clients/redis';
import type { Pool } from 'pg';
import { createApiServices, createApp, type ApiServices } from '../../src/api/app';
import { createApiMetrics } from '../../src/api/metrics';
import { startStockFanOut, type StockFanOut } from '../../src/api/stream/fan-out';
import { connectAmqp, type Amqp } from '../../src/clients/amqp';
import { createPool } from '../../src/clients/postgres';
import { createRedis } from '../../src/clients/redis';
import { connectNativeTemporal, connectTemporal, temporalDataConverter } from '../../src/clients/temporal';
import { runPurchasesHere } from '../../src/api/purchases/eager-purchases';
import { loadConfig, type Config } from '../../src/config';
import { Inventory } from '../../src/inventory/inventory';
import { createLogger } from '../../src/logger';
import { createPurchaseWorker, deploymentOf, type PurchaseWorker } from '../../src/workers/purchase-worker';
import { installRuntime } from '../../src/workers/runtime';
import { signToken } from '../../tools/lib/jwt';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent as is, for malformed bodies. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface Harness {
  config: Config;
  baseUrl: string;
  pool: Pool;
  redis: RedisClient;
  amqp: Amqp;
  temporal: Client;
  inventory: Inventory;
  /** The API's services, as its entry point builds them. */
  services: ApiServices;
  /** The API's RabbitMQ consumer and its open stock streams. */
  fanOut: StockFanOut;
  taskQueue: string;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  token(userId: string, options?: { roles?: string[]; expiresIn?: string | number; secret?: string }): Promise<string>;
  adminToken(): Promise<string>;
  /** A fresh buyer id, unique across test runs. */
  buyer(label?: string): string;
  createProduct(product: { stock: number; maxPerUser?: number; price?: number }): Promise<{ id: number }>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

/** The Temporal runtime is one per process: the first PulseCart of a test file installs it. */
let runtimeInstalled = false;

export interface HarnessOptions {
  withWorker?: boolean;
  /** Serve the workers' SDK metrics (ours included) here; only the first PulseCart of a test file installs them. */
  workerMetricsPort?: number;
}

export async function startPulseCart(
  overrides: Partial<Config> = {},
  { withWorker = true, workerMetricsPort }: HarnessOptions = {},
): Promise<Harness> {
  const taskQueue = `test-${randomUUID()}`;
  // EAGER_START is off unless a test asks for it: most tests reach Temporal through a grpc client whose
  // interceptors they use to inject faults; test/eager-start.test.ts runs the API's own purchase worker.
  const config: Config = { ...loadConfig(), EAGER_START: false, TEMPORAL_TASK_QUEUE: taskQueue, PORT: 0, ...overrides };
  const logger = createLogger(config, 'test');
  const metricsAddress = workerMetricsPort === undefined ? undefined : `127.0.0.1:${workerMetricsPort}`;
  if (!runtimeInstalled) installRuntime(logger, { logLevel: 'WARN', metricsAddress });
  runtimeInstalled = true;
  const pool = createPool(config, logger);
  const redis = createRedis(config);
  const amqp = await connectAmqp(config, logger);
  const native = config.EAGER_START ? await connectNativeTemporal(config) : undefined;
  const temporal = native?.client ?? (await connectTemporal(config));
  const inventory = new Inventory(redis);
  const metrics = createApiMetrics();
  const fanOut = await startStockFanOut({ amqp, inventory, config, logger, metrics });
  const clients = { pool, redis, amqp, temporal, inventory };
  const services = createApiServices(config, clients, { logger, metrics });
  const eager =
    native &&
    (await runPurchasesHere(config, {
      connection: native.connection,
      pool,
      inventory,
      outcomes: services.outcomes,
      publisher: services.publisher,
      sales: metrics.sales,
      logger,
    }));
  const app = createApp({ config, clients, services, logger, metrics, streams: fanOut.streams });
  // PORT is 0 (any free port) unless a test needs a known one, as behind nginx.
  const server: Server = app.listen(config.PORT);
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let worker: { worker: PurchaseWorker; running: Promise<void>; connection: NativeConnection } | undefined;
  const runId = randomUUID().slice(0, 8);
  let buyers = 0;

  const harness: Harness = {
    config,
    baseUrl,
    pool,
    redis,
    amqp,
    temporal,
    inventory,
    services,
    fanOut,
    taskQueue,

    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: the test sees the text.
      }
      return { status: response.status, body: parsed as any, headers: response.headers };
    },

    token(userId, { secret = config.JWT_SECRET, ...options } = {}) {
      return signToken(secret, userId, options);
    },

    adminToken() {
      return harness.token(`admin-${runId}`, { roles: ['admin'] });
    },

    buyer(label = 'buyer') {
      buyers += 1;
      return `${label}-${runId}-${buyers}`;
    },

    async createProduct({ stock, maxPerUser = 1, price = 9.99 }) {
      const created = await harness.request('POST', '/api/v1/admin/products', {
        token: await harness.adminToken(),
        body: { name: `Test product ${runId}`, price, stock, maxPerUser },
      });
      if (created.status !== 201) throw new Error(`product not created: ${JSON.stringify(created.body)}`);
      return created.body;
    },

    async startWorker() {
      const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
      const created = await createPurchaseWorker({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        dataConverter: temporalDataConverter(config),
        taskQueue,
        stockEventIntervalMs: config.STOCK_EVENT_INTERVAL_MS,
        pool,
        inventory,
        outcomes: services.outcomes,
        amqp,
        temporal,
        logger,
        shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
        backups: { databaseUrl: config.DATABASE_URL, dir: config.BACKUP_DIR, keep: config.BACKUP_KEEP },
        deployment: deploymentOf(config),
        bundleDir: config.WORKFLOW_BUNDLE_DIR,
      });
      worker = { worker: created, running: created.run(), connection };
    },

    async stopWorker() {
      if (!worker) return;
      const { worker: stopping, running, connection } = worker;
      worker = undefined;
      stopping.shutdown();
      await running;
      await stopping.publisher.close();
      await connection.close();
    },

    async close() {
      await harness.stopWorker();
      await eager?.stop();
      await fanOut.close();
      await services.outcomes.close();
      await new Promise((resolve) => server.close(resolve));
      await Promise.allSettled([temporal.connection.close(), amqp.connection.close(), pool.end(), redis.quit()]);
    },
  };
  if (withWorker) await harness.startWorker();
  return harness;
}
