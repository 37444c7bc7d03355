/** `npm run worker`: one Temporal worker process for the purchase workflow. */
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { connectAmqp } from '../clients/amqp';
import { createPool } from '../clients/postgres';
import { createRedis } from '../clients/redis';
import { loadConfig } from '../config';
import { Inventory } from '../inventory/inventory';
import { createLogger } from '../logger';
import { CoalescingPublisher } from '../stock-events/coalescing-publisher';
import { StockPublisher } from '../stock-events/publisher';
import { createPurchaseWorker } from './purchase-worker';
import { routeSdkLogs } from './sdk-logging';

async function run(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config, 'worker');
  routeSdkLogs(logger);
  const pool = createPool(config);
  const redis = createRedis(config);
  const amqp = await connectAmqp(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const publisher = new CoalescingPublisher(new StockPublisher(amqp.channel), {
    intervalMs: config.STOCK_EVENT_INTERVAL_MS,
    logger,
  });
  const worker = await createPurchaseWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities: createActivities({
      pool,
      inventory: new Inventory(redis),
      publisher,
      logger,
    }),
  });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker running');
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM; then we close our clients.
  await worker.run();
  // The last trailing stock events go out before the broker connection closes.
  await publisher.close();
  await Promise.allSettled([connection.close(), amqp.connection.close(), pool.end(), redis.quit()]);
  logger.info('worker stopped');
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
