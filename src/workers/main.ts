/** `npm run worker`: one Temporal worker process for the purchase and reconciliation workflows. */
import { connectAmqp } from '../clients/amqp';
import { createPool } from '../clients/postgres';
import { createRedis } from '../clients/redis';
import { connectNativeTemporal, temporalDataConverter } from '../clients/temporal';
import { loadConfig } from '../config';
import { Inventory } from '../inventory/inventory';
import { createLogger } from '../logger';
import { PurchaseOutcomes } from '../purchase-status/purchase-outcomes';
import { BackupClient } from '../backups/backup-client';
import { ReconciliationClient } from '../reconciliation/reconciliation-client';
import { createPurchaseWorker, deploymentOf } from './purchase-worker';
import { installRuntime } from './runtime';

async function run(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config, 'worker');
  installRuntime(logger, { metricsAddress: `0.0.0.0:${config.WORKER_METRICS_PORT}` });
  const pool = createPool(config, logger);
  const redis = createRedis(config);
  const amqp = await connectAmqp(config, logger);
  // One native connection for the workers and for the client that reconciliation and the schedules use.
  const { connection, client: temporal } = await connectNativeTemporal(config);
  const worker = await createPurchaseWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: temporalDataConverter(config),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    stockEventIntervalMs: config.STOCK_EVENT_INTERVAL_MS,
    pool,
    inventory: new Inventory(redis),
    outcomes: new PurchaseOutcomes(redis, config.PURCHASE_STATUS_TTL_S),
    amqp,
    temporal,
    logger,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    backups: { databaseUrl: config.DATABASE_URL, dir: config.BACKUP_DIR, keep: config.BACKUP_KEEP },
    deployment: deploymentOf(config),
    bundleDir: config.WORKFLOW_BUNDLE_DIR,
  });
  if (config.RECONCILE_SCHEDULE) {
    await new ReconciliationClient(temporal, config.TEMPORAL_TASK_QUEUE).ensureSchedule();
    await new BackupClient(temporal, config.TEMPORAL_TASK_QUEUE).ensureSchedule(config.BACKUP_CRON);
  }
  logger.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      temporal: config.TEMPORAL_ADDRESS,
      metrics: `http://127.0.0.1:${config.WORKER_METRICS_PORT}/metrics`,
    },
    'worker running',
  );
  // On SIGINT/SIGTERM the SDK stops polling and lets the tasks in flight finish (SHUTDOWN_GRACE_MS); then we
  // close our clients. Past the grace and its force time, run() throws and the process exits 1.
  await worker.run();
  // The last trailing stock events go out before the broker connection closes.
  await worker.publisher.close();
  await Promise.allSettled([connection.close(), amqp.connection.close(), pool.end(), redis.quit()]);
  logger.info('worker stopped');
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
