/**
 * Ratio 2: PulseCart's purchase workflow (its real local activities on Redis,
 * PostgreSQL and RabbitMQ) against an empty workflow, on the same Temporal
 * Service, the same worker and the same task queue. Reuses the baseline
 * bench's timing of `execute`.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import pino from 'pino';
import { createPurchaseActivities } from '../../src/activities/purchase';
import { sdkSalesMetrics } from '../../src/activities/sales-metrics';
import { PurchaseOutcomes } from '../../src/purchase-status/purchase-outcomes';
import { connectAmqp } from '../../src/clients/amqp';
import { createPool } from '../../src/clients/postgres';
import { createRedis } from '../../src/clients/redis';
import { loadConfig } from '../../src/config';
import { Inventory } from '../../src/inventory/inventory';
import { CoalescingPublisher } from '../../src/stock-events/coalescing-publisher';
import { StockPublisher } from '../../src/stock-events/publisher';
import { temporalDataConverter } from '../../src/clients/temporal';
import { useDataFolderPayloadKeys } from '../../tools/payload-keys';
import { ensureTemporal } from '../../tools/setup';
import { historyCost, historyCostTable, type HistoryCost } from '../lib/history-cost';
import {
  compareWithFirst,
  comparisonTable,
  measureVariants,
  type RoundHook,
  workflowVariant,
  type Comparison,
  type WorkflowLoad,
  type WorkflowVariant,
} from '../lib/workflow-bench';
import { CpuSampler } from '../lib/proc';
import type { Table } from '../lib/table';
import { emptyWorkflow, purchase } from '../workflows';
import { purchaseVisibility } from '../../src/workflows/shared';

export interface WorkflowCostReport {
  load: WorkflowLoad;
  results: Comparison[];
  /** Per variant, average cores used by each process group while it ran. */
  cores: Record<string, Record<string, number>>;
  /** Purchase executions that did not end CONFIRMED (there is stock for all). */
  notConfirmed: number;
  /** Per variant, what one more execution left in Temporal's history. */
  histories: Record<string, HistoryCost>;
}

/** Cores used by each process group while each variant ran, averaged over its rounds. */
class CpuByVariant {
  private readonly coreSeconds: Record<string, Record<string, number>> = {};
  private readonly seconds: Record<string, number> = {};

  readonly hook: RoundHook = async (variant, round) => {
    const sampler = new CpuSampler({ 'bench (worker and client)': process.pid });
    const wallMs = await round();
    const used = (this.coreSeconds[variant.name] ??= {});
    for (const [group, cores] of Object.entries(sampler.stop())) used[group] = (used[group] ?? 0) + cores * wallMs;
    this.seconds[variant.name] = (this.seconds[variant.name] ?? 0) + wallMs;
    return wallMs;
  };

  averages(): Record<string, Record<string, number>> {
    return Object.fromEntries(
      Object.entries(this.coreSeconds).map(([variant, used]) => [
        variant,
        Object.fromEntries(Object.entries(used).map(([group, total]) => [group, total / this.seconds[variant]])),
      ]),
    );
  }
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

/** Runs one more execution of each variant and reads what its history holds. */
async function historyCosts(
  client: Client,
  taskQueue: string,
  variants: WorkflowVariant[],
): Promise<Record<string, HistoryCost>> {
  const costs: Record<string, HistoryCost> = {};
  for (const variant of variants) {
    const workflowId = `bench-history-${randomUUID()}`;
    await variant.execute(client, taskQueue, workflowId);
    costs[variant.name] = await historyCost(client, workflowId);
  }
  return costs;
}

export async function measureWorkflowCost(load: WorkflowLoad, logFile: string): Promise<WorkflowCostReport> {
  // Payloads are encrypted as in production (src/codec), on both sides.
  useDataFolderPayloadKeys();
  const config = loadConfig();
  const dataConverter = temporalDataConverter(config);
  // The SDK's own logs (worker state changes) would drown the tables.
  Runtime.install({ logger: new DefaultLogger('WARN') });
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
        // Started as the API starts it, memo and search attributes included.
        const outcome = await client.workflow.execute(purchase, {
          taskQueue,
          workflowId,
          args: [request],
          ...purchaseVisibility(request),
        });
        if (outcome.status !== 'CONFIRMED') notConfirmed += 1;
      },
    };
    const variants = [workflowVariant('empty workflow', emptyWorkflow), purchaseVariant];
    const taskQueue = `bench-workflows-${randomUUID().slice(0, 8)}`;
    const worker = await Worker.create({
      connection: workerConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      dataConverter,
      taskQueue,
      workflowsPath: require.resolve('../workflows'),
      activities: {
        ...createPurchaseActivities({
          pool,
          inventory,
          publisher,
          outcomes: new PurchaseOutcomes(redis, config.PURCHASE_STATUS_TTL_S),
          sales: sdkSalesMetrics(Runtime.instance().metricMeter),
          logger,
        }),
        async noop() {},
      },
    });
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter });
    const cpu = new CpuByVariant();
    const { measurements, histories } = await worker.runUntil(async () => ({
      measurements: await measureVariants(client, taskQueue, variants, load, cpu.hook),
      histories: await historyCosts(client, taskQueue, variants),
    }));
    return { load, results: compareWithFirst(measurements), cores: cpu.averages(), notConfirmed, histories };
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

/** Where the CPU went while each variant ran: the bound when throughput differs. */
export function workflowCpuTable(report: WorkflowCostReport): Table {
  const groups = [...new Set(Object.values(report.cores).flatMap((cores) => Object.keys(cores)))];
  const rate = Object.fromEntries(report.results.map((r) => [r.variant, r.workflowsPerSecond]));
  // Cores over workflows per second: each process's CPU per workflow, comparable across a noisy machine.
  const cell = (variant: string, cores = 0) => `${cores.toFixed(2)} (${((cores / rate[variant]) * 1000).toFixed(1)})`;
  return {
    title: '2b. Cores busy per process while each variant ran (CPU ms per workflow)',
    header: ['variant', ...groups],
    rows: Object.entries(report.cores).map(([variant, cores]) => [
      variant,
      ...groups.map((g) => cell(variant, cores[g])),
    ]),
  };
}

export function workflowCostTable(report: WorkflowCostReport): Table {
  const [, purchaseRow] = report.results;
  const { count, concurrency, rounds } = report.load;
  return comparisonTable(
    `2. Purchase workflow vs empty workflow, execute × ${count} at concurrency ${concurrency} in ${rounds} alternating rounds: throughput ${purchaseRow.throughputVsFirst.toFixed(2)}×, p50 ${purchaseRow.p50VsFirst.toFixed(2)}×, p99 ${purchaseRow.p99VsFirst.toFixed(2)}× (aim within 1.5×)`,
    report.results,
  );
}

/** What one execution of each variant costs the Temporal Service, from its history. */
export function workflowHistoryTable(report: WorkflowCostReport): Table {
  return historyCostTable('2c. What one execution leaves in Temporal (from its history)', report.histories);
}
