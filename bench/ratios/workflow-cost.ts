/**
 * Ratio 2: PulseCart's purchase workflow (its real local activities on Redis,
 * PostgreSQL and RabbitMQ) against an empty workflow, on the same Temporal
 * Service, the same worker and the same task queue. Reuses the baseline
 * bench's timing of `execute`.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { NativeConnection, Worker } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../../src/activities';
import { connectAmqp } from '../../src/clients/amqp';
import { createPool } from '../../src/clients/postgres';
import { createRedis } from '../../src/clients/redis';
import { loadConfig } from '../../src/config';
import { Inventory } from '../../src/inventory/inventory';
import { CoalescingPublisher } from '../../src/stock-events/coalescing-publisher';
import { StockPublisher } from '../../src/stock-events/publisher';
import { ensureTemporal } from '../../tools/setup';
import {
  compareWithFirst,
  comparisonTable,
  measureVariant,
  workflowVariant,
  type Comparison,
  type WorkflowLoad,
  type WorkflowVariant,
} from '../lib/workflow-bench';
import type { Table } from '../lib/table';
import { emptyWorkflow, purchase } from '../workflows';

export interface WorkflowCostReport {
  load: WorkflowLoad;
  results: Comparison[];
  /** Purchase executions that did not end CONFIRMED (there is stock for all). */
  notConfirmed: number;
}

/** A product with stock for every execution, made straight in the stores: this bench runs no API. */
async function stockedProduct(pool: Pool, inventory: Inventory, stock: number): Promise<number> {
  const maxPerUser = stock;
  const { rows } = await pool.query<{ id: number }>(
    'INSERT INTO product (name, price, stock_quantity, max_per_user) VALUES ($1, 1, $2, $3) RETURNING id',
    ['Workflow bench', stock, maxPerUser],
  );
  await inventory.load(rows[0].id, stock, maxPerUser);
  return rows[0].id;
}

export async function measureWorkflowCost(load: WorkflowLoad, logFile: string): Promise<WorkflowCostReport> {
  const config = loadConfig();
  const { temporalAddress: address } = await ensureTemporal();
  const logger = pino({ level: config.LOG_LEVEL }, pino.destination(logFile));
  const pool = createPool(config);
  const redis = createRedis(config);
  const amqp = await connectAmqp(config);
  const inventory = new Inventory(redis);
  const publisher = new CoalescingPublisher(new StockPublisher(amqp.channel), {
    intervalMs: config.STOCK_EVENT_INTERVAL_MS,
    logger,
  });
  const workerConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  try {
    const productId = await stockedProduct(pool, inventory, 2 * (load.count + load.warmup));
    let notConfirmed = 0;
    const purchaseVariant: WorkflowVariant = {
      name: 'purchase workflow',
      async execute(client, taskQueue, workflowId) {
        const trackingId = randomUUID();
        const request = { trackingId, userId: `wf-bench-${process.pid}`, productId, quantity: 1 };
        const outcome = await client.workflow.execute(purchase, { taskQueue, workflowId, args: [request] });
        if (outcome.status !== 'CONFIRMED') notConfirmed += 1;
      },
    };
    const variants = [workflowVariant('empty workflow', emptyWorkflow), purchaseVariant];
    const taskQueue = `bench-workflows-${randomUUID().slice(0, 8)}`;
    const worker = await Worker.create({
      connection: workerConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue,
      workflowsPath: require.resolve('../workflows'),
      activities: { ...createActivities({ pool, inventory, publisher, logger }), async noop() {} },
    });
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const measurements = await worker.runUntil(async () => {
      const measured = [];
      for (const variant of variants) measured.push(await measureVariant(client, taskQueue, variant, load));
      return measured;
    });
    return { load, results: compareWithFirst(measurements), notConfirmed };
  } finally {
    await publisher.close();
    await Promise.allSettled([
      connection.close(),
      workerConnection.close(),
      amqp.connection.close(),
      pool.end(),
      redis.quit(),
    ]);
  }
}

export function workflowCostTable(report: WorkflowCostReport): Table {
  const [, purchaseRow] = report.results;
  const { count, concurrency } = report.load;
  return comparisonTable(
    `2. Purchase workflow vs empty workflow, execute × ${count} at concurrency ${concurrency}: throughput ${purchaseRow.throughputVsFirst.toFixed(2)}×, p50 ${purchaseRow.p50VsFirst.toFixed(2)}×, p99 ${purchaseRow.p99VsFirst.toFixed(2)}× (aim within 1.5×)`,
    report.results,
  );
}
