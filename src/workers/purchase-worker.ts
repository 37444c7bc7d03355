import type { Client } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities } from '../activities';
import { createReconciliationActivities } from '../activities/reconciliation';
import type { Amqp } from '../clients/amqp';
import type { Inventory } from '../inventory/inventory';
import type { Logger } from '../logger';
import { CoalescingPublisher } from '../stock-events/coalescing-publisher';
import { countedPublisher } from '../stock-events/counted-publisher';
import { StockPublisher } from '../stock-events/publisher';

export interface PurchaseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Per product, at most one stock event per this many ms. */
  stockEventIntervalMs: number;
  pool: Pool;
  inventory: Inventory;
  amqp: Amqp;
  /** For reconciliation, which looks up purchases in flight. */
  temporal: Client;
  logger: Logger;
  /** On shutdown, how long activities in flight may finish before they are cancelled. */
  shutdownGraceMs: number;
}

/** After the grace, cancelled activities get this long to give up before the worker stops without them. */
const SHUTDOWN_FORCE_AFTER_GRACE_MS = 5000;

export interface PurchaseWorker {
  worker: Worker;
  /** Flush it after the worker stopped, so the last stock events go out. */
  publisher: CoalescingPublisher;
}

/** A worker that runs the purchase and reconciliation workflows and their activities. */
export async function createPurchaseWorker(options: PurchaseWorkerOptions): Promise<PurchaseWorker> {
  const { connection, namespace, taskQueue, pool, inventory, amqp, temporal, logger, shutdownGraceMs } = options;
  // The same metric the API counts its restock publishes in, through the SDK's Prometheus endpoint.
  const publishes = Runtime.instance().metricMeter.createCounter(
    'pulsecart_stock_publishes',
    'messages',
    'Stock events published to RabbitMQ, by the broker confirm: confirmed or failed',
  );
  const confirmed = countedPublisher(new StockPublisher(amqp.channel), (outcome) => publishes.add(1, { outcome }));
  const publisher = new CoalescingPublisher(confirmed, { intervalMs: options.stockEventIntervalMs, logger });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: {
      ...createActivities({ pool, inventory, publisher, logger }),
      ...createReconciliationActivities({ pool, inventory, temporal }),
    },
    shutdownGraceTime: shutdownGraceMs,
    shutdownForceTime: shutdownGraceMs + SHUTDOWN_FORCE_AFTER_GRACE_MS,
  });
  return { worker, publisher };
}
