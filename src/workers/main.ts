/** `npm run worker`: one Temporal worker process for the purchase workflow. */
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { connectAmqp } from '../clients/amqp';
import { createPool } from '../clients/postgres';
import { createRedis } from '../clients/redis';
import { loadConfig } from '../config';
import { Inventory } from '../inventory/inventory';
import { createLogger } from '../logger';
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
  const worker = await createPurchaseWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities: createActivities({
      pool,
      inventory: new Inventory(redis),
      publisher: new StockPublisher(amqp.channel),
      logger,
    }),
  });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker running');
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM; then we close our clients.
  await worker.run();
  await Promise.allSettled([connection.close(), amqp.connection.close(), pool.end(), redis.quit()]);
  logger.info('worker stopped');
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
