/** `npm run api`: one stateless API process. */
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { connectAmqp } from '../clients/amqp';
import { createPool } from '../clients/postgres';
import { createRedis } from '../clients/redis';
import { connectNativeTemporal } from '../clients/temporal';
import { loadConfig } from '../config';
import { Inventory } from '../inventory/inventory';
import { createLogger } from '../logger';
import { createApiServices, createApp } from './app';
import { HttpDrain } from './http-drain';
import { runPurchasesHere } from './purchases/eager-purchases';
import { installRuntime } from '../workers/runtime';
import { createApiMetrics } from './metrics';
import { startStockFanOut } from './stream/fan-out';

/**
 * Connections the kernel holds until the process accepts them. Node's default
 * (511) overflows when a crowd arrives through nginx at once, and nginx then
 * sees connect timeouts; the kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

async function run(): Promise<void> {
  const config = loadConfig();
  // Read by V8 at each full collection, so setting it here works however the API is started (npm start, image, benches).
  if (config.API_HEAP_GROWING_PERCENT > 0)
    setFlagsFromString(`--heap-growing-percent=${config.API_HEAP_GROWING_PERCENT}`);
  const logger = createLogger(config, 'api');
  const pool = createPool(config, logger);
  const redis = createRedis(config);
  const amqp = await connectAmqp(config, logger);
  // The SDK's native connection: its gRPC runs in the SDK's Rust core, off this event loop, so a start's reply
  // is not queued behind the crowd's requests (measured in docs/performance.md). EAGER_START shares it with
  // the purchase worker this process then runs. The SDK's logs go through our logger.
  installRuntime(logger);
  const native = await connectNativeTemporal(config);
  const temporal = native.client;
  const metrics = createApiMetrics();
  const clients = { pool, redis, amqp, temporal, inventory: new Inventory(redis) };
  const fanOut = await startStockFanOut({ amqp, inventory: clients.inventory, config, logger, metrics });
  const services = createApiServices(config, clients, { logger, metrics });
  const eager = !config.EAGER_START
    ? undefined
    : await runPurchasesHere(config, {
        connection: native.connection,
        pool,
        inventory: clients.inventory,
        outcomes: services.outcomes,
        publisher: services.publisher,
        sales: metrics.sales,
        logger,
      });
  const app = createApp({ config, clients, services, logger, metrics, streams: fanOut.streams });
  const server = app.listen({ port: config.PORT, backlog: LISTEN_BACKLOG }, () => {
    const { port } = server.address() as AddressInfo;
    logger.info({ url: `http://127.0.0.1:${port}`, temporalUi: config.TEMPORAL_UI_URL }, 'api listening');
  });
  const drain = new HttpDrain(server);

  /** Stop accepting, answer what is in flight, end the stock streams, then close the clients. */
  async function shutdown(signal: NodeJS.Signals): Promise<number> {
    logger.info({ signal, requestsInFlight: drain.requestsInFlight }, 'api shutting down');
    // Stock streams never end by themselves: end them, and stop consuming, while requests drain.
    const [drained] = await Promise.all([drain.drain(config.SHUTDOWN_GRACE_MS), fanOut.close()]);
    if (!drained)
      logger.warn({ graceMs: config.SHUTDOWN_GRACE_MS }, 'requests still in flight at the deadline were cut');
    // The purchases this process runs finish (or their tasks go back to the workers) before the clients close.
    await eager?.stop();
    await Promise.allSettled([
      services.outcomes.close(),
      temporal.connection.close(),
      amqp.connection.close(),
      pool.end(),
      redis.quit(),
    ]);
    logger.info({ drained }, 'api stopped');
    return drained ? 0 : 1;
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    shutdown(signal).then(
      (code) => process.exit(code),
      (err) => {
        logger.error({ err }, 'api shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A purchase worker that fails takes the process down: its orchestrator restarts it; the workers run the rest.
  eager?.running.catch((err) => {
    logger.error({ err }, 'the purchase worker of this API failed');
    onSignal('SIGTERM');
  });
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
