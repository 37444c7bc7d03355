import type { NativeConnection } from '@temporalio/worker';
import type { Pool } from 'pg';
import { temporalDataConverter } from '../../clients/temporal';
import type { Config } from '../../config';
import type { Inventory } from '../../inventory/inventory';
import type { Logger } from '../../logger';
import type { SalesMetrics } from '../../activities/sales-metrics';
import type { PurchaseOutcomes } from '../../purchase-status/purchase-outcomes';
import { CoalescingPublisher, type EventPublisher } from '../../stock-events/coalescing-publisher';
import { createPurchaseTaskQueueWorker, deploymentOf } from '../../workers/purchase-worker';

export interface EagerPurchaseDeps {
  /** The connection the API's Temporal client is built on: eager start needs them to share it. */
  connection: NativeConnection;
  pool: Pool;
  inventory: Inventory;
  outcomes: PurchaseOutcomes;
  /** The API's confirmed publisher; stock events are coalesced per product on top of it, as in the workers. */
  publisher: EventPublisher;
  /** The business metrics of the orders committed here, on the API's /metrics. */
  sales: SalesMetrics;
  logger: Logger;
}

export interface EagerPurchases {
  /** Settles when the worker stops (after stop()), rejects when it fails: the entry point reports that. */
  running: Promise<void>;
  /** Lets the purchases in flight finish (SHUTDOWN_GRACE_MS), then sends the last stock events. */
  stop(): Promise<void>;
}

/**
 * EAGER_START: the API runs the purchase workflows it starts. Its client and
 * this worker of the purchase task queue share one native connection, so
 * Temporal hands each start's first workflow task back with the start reply
 * instead of through matching, and the purchase's local activities run here.
 * The workers still poll the same task queue: a start that finds no free slot
 * here, and any retry after this process dies, runs there.
 */
export async function runPurchasesHere(
  config: Pick<
    Config,
    | 'TEMPORAL_NAMESPACE'
    | 'TEMPORAL_TASK_QUEUE'
    | 'PAYLOAD_KEYS'
    | 'PAYLOAD_KEY_ID'
    | 'STOCK_EVENT_INTERVAL_MS'
    | 'SHUTDOWN_GRACE_MS'
    | 'WORKER_DEPLOYMENT'
    | 'RELEASE'
    | 'WORKFLOW_BUNDLE_DIR'
    | 'EAGER_START_SLOTS'
  >,
  deps: EagerPurchaseDeps,
): Promise<EagerPurchases> {
  const { connection, pool, inventory, outcomes, sales, logger } = deps;
  const publisher = new CoalescingPublisher(deps.publisher, { intervalMs: config.STOCK_EVENT_INTERVAL_MS, logger });
  const worker = await createPurchaseTaskQueueWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: temporalDataConverter(config),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    pool,
    inventory,
    outcomes,
    publisher,
    sales,
    logger,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    deployment: deploymentOf(config),
    bundleDir: config.WORKFLOW_BUNDLE_DIR,
    slots: config.EAGER_START_SLOTS,
  });
  const running = worker.run();
  return {
    running,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await publisher.close();
    },
  };
}
