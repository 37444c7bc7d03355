import type { Client } from '@temporalio/client';
import type { DataConverter, WorkerDeploymentVersion } from '@temporalio/common';
import {
  NativeConnection,
  Runtime,
  Worker,
  type SlotSupplier,
  type WorkerTuner,
  type WorkflowSlotInfo,
} from '@temporalio/worker';
import { reconcileTaskQueue } from '../workflows/shared';
import type { Pool } from 'pg';
import { createPurchaseActivities } from '../activities/purchase';
import { sdkSalesMetrics, type SalesMetrics } from '../activities/sales-metrics';
import { createReconciliationActivities } from '../activities/reconciliation';
import { createBackupActivities, type BackupSettings } from '../backups/backup-activities';
import type { Amqp } from '../clients/amqp';
import type { Config } from '../config';
import type { Inventory } from '../inventory/inventory';
import type { Logger } from '../logger';
import type { PurchaseOutcomes } from '../purchase-status/purchase-outcomes';
import { CoalescingPublisher } from '../stock-events/coalescing-publisher';
import { countedPublisher } from '../stock-events/counted-publisher';
import { StockPublisher } from '../stock-events/publisher';
import { workflowBundle as loadWorkflowBundle } from './workflow-bundle';

export interface PurchaseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** The clients' converter (temporalDataConverter): what one side encrypts the other must decrypt. */
  dataConverter: DataConverter;
  taskQueue: string;
  /** Per product, at most one stock event per this many ms. */
  stockEventIntervalMs: number;
  pool: Pool;
  inventory: Inventory;
  outcomes: PurchaseOutcomes;
  amqp: Amqp;
  /** For reconciliation, which looks up purchases in flight. */
  temporal: Client;
  logger: Logger;
  /** On shutdown, how long activities in flight may finish before they are cancelled. */
  shutdownGraceMs: number;
  /** Database backups, which run on the reconciliation task queue. */
  backups: BackupSettings;
  /** Worker Versioning: this worker is version `buildId` of the deployment; absent, unversioned. */
  deployment?: WorkerDeploymentVersion;
  /** WORKFLOW_BUNDLE_DIR: where the set-up left the workflow bundle. */
  bundleDir: string;
}

/** The worker's version when WORKER_DEPLOYMENT is set: the build is the release it runs. */
export function deploymentOf(
  config: Pick<Config, 'WORKER_DEPLOYMENT' | 'RELEASE'>,
): WorkerDeploymentVersion | undefined {
  if (!config.WORKER_DEPLOYMENT) return undefined;
  return { deploymentName: config.WORKER_DEPLOYMENT, buildId: config.RELEASE };
}

/** After the grace, cancelled activities get this long to give up before the worker stops without them. */
const SHUTDOWN_FORCE_AFTER_GRACE_MS = 5000;

export interface PurchaseWorker {
  /** Polls both task queues until shutdown; when one worker fails, the other is stopped too. */
  run(): Promise<void>;
  /** Stops polling and lets what is in flight finish (shutdownGraceMs). */
  shutdown(): void;
  /** Flush it after the workers stopped, so the last stock events go out. */
  publisher: CoalescingPublisher;
}

/** What a worker of the purchase task queue needs, in the worker process or in an API running its purchases. */
export interface PurchaseTaskQueueOptions extends Pick<
  PurchaseWorkerOptions,
  | 'connection'
  | 'namespace'
  | 'dataConverter'
  | 'taskQueue'
  | 'pool'
  | 'inventory'
  | 'outcomes'
  | 'logger'
  | 'shutdownGraceMs'
  | 'deployment'
  | 'bundleDir'
> {
  publisher: Pick<CoalescingPublisher, 'offer'>;
  sales: SalesMetrics;
  /** Who hands out workflow task slots (the SDK's 40 when absent); an eager start needs one free. */
  workflowSlots?: SlotSupplier<WorkflowSlotInfo>;
}

type WorkerBasics = Pick<
  PurchaseTaskQueueOptions,
  'connection' | 'namespace' | 'dataConverter' | 'shutdownGraceMs' | 'deployment' | 'bundleDir'
>;

/** The options every PulseCart worker shares: connection, converter, bundle, shutdown, versioning. */
async function commonWorkerOptions(options: WorkerBasics) {
  const { connection, namespace, dataConverter, shutdownGraceMs, deployment } = options;
  const workflowBundle = await loadWorkflowBundle(options.bundleDir);
  return {
    connection,
    namespace,
    dataConverter,
    workflowBundle,
    shutdownGraceTime: shutdownGraceMs,
    shutdownForceTime: shutdownGraceMs + SHUTDOWN_FORCE_AFTER_GRACE_MS,
    // PINNED: a purchase or a reconciliation finishes on the build that started it, so a new
    // build may change workflow code without patches and a rollback never replays new histories.
    ...(deployment && {
      workerDeploymentOptions: {
        version: deployment,
        useWorkerVersioning: true,
        defaultVersioningBehavior: 'PINNED',
      } as const,
    }),
  };
}

/** The purchase workflows and their local activities, on the purchase task queue. */
export async function createPurchaseTaskQueueWorker(
  options: PurchaseTaskQueueOptions,
  common?: Awaited<ReturnType<typeof commonWorkerOptions>>,
): Promise<Worker> {
  const { pool, inventory, publisher, outcomes, sales, logger } = options;
  return Worker.create({
    ...(common ?? (await commonWorkerOptions(options))),
    taskQueue: options.taskQueue,
    ...(options.workflowSlots && { tuner: purchaseTuner(options.workflowSlots) }),
    activities: createPurchaseActivities({ pool, inventory, publisher, outcomes, sales, logger }),
  });
}

/** The SDK's defaults for every kind of task but workflow tasks (a tuner replaces all of them). */
function purchaseTuner(workflowTaskSlotSupplier: SlotSupplier<WorkflowSlotInfo>): WorkerTuner {
  const fixed = (numSlots: number) => ({ type: 'fixed-size', numSlots }) as const;
  return {
    workflowTaskSlotSupplier,
    activityTaskSlotSupplier: fixed(100),
    localActivityTaskSlotSupplier: fixed(100),
    nexusTaskSlotSupplier: fixed(100),
  };
}

/**
 * The purchase workflows and their activities on the purchase task queue, and
 * reconciliation on a task queue of its own (see reconcileTaskQueue), in one
 * process sharing one connection and one publisher.
 */
export async function createPurchaseWorker(options: PurchaseWorkerOptions): Promise<PurchaseWorker> {
  const { taskQueue, pool, inventory, temporal, logger } = options;
  const { metricMeter } = Runtime.instance();
  // The same metric the API counts its restock publishes in, through the SDK's Prometheus endpoint.
  const publishes = metricMeter.createCounter(
    'pulsecart_stock_publishes',
    'messages',
    'Stock events published to RabbitMQ, by the broker confirm: confirmed or failed',
  );
  const confirmed = countedPublisher(new StockPublisher(options.amqp.channel), (outcome) =>
    publishes.add(1, { outcome }),
  );
  const publisher = new CoalescingPublisher(confirmed, { intervalMs: options.stockEventIntervalMs, logger });
  const common = await commonWorkerOptions(options);
  const workers = [
    await createPurchaseTaskQueueWorker(
      // Tagged as the SDK tags its own worker metrics, so one worker's figures can be told from another's.
      { ...options, publisher, sales: sdkSalesMetrics(metricMeter.withTags({ taskQueue })) },
      common,
    ),
    await Worker.create({
      ...common,
      taskQueue: reconcileTaskQueue(taskQueue),
      activities: {
        ...createReconciliationActivities({
          pool,
          inventory,
          temporal,
          purchaseTaskQueue: taskQueue,
          broadcast: (e) => publisher.offer(e),
        }),
        ...createBackupActivities(options.backups),
      },
    }),
  ];
  const shutdown = () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return {
    publisher,
    shutdown,
    async run() {
      await Promise.all(
        workers.map((worker) =>
          worker.run().catch((err) => {
            shutdown();
            throw err;
          }),
        ),
      );
    },
  };
}
