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
import { emptyWorkflow } from '../workflows';
import { purchaseVariants } from './purchase-variants';

/** The Redis variant's wait: long enough for any backlog of the bench, so a purchase is never counted unconfirmed for it. */
const OUTCOME_WAIT_MS = 60_000;

export interface WorkflowCostReport {
  load: WorkflowLoad;
  results: Comparison[];
  /** Per variant, average cores used by each process group while it ran. */
  cores: Record<string, Record<string, number>>;
  /** Purchase executions that did not end CONFIRMED (there is stock for all). */
  notConfirmed: number;
  /** Of the eager variants' starts, how many the server handed straight to the local worker. */
  eagerlyStarted: { eager: number; of: number };
  /** Per variant, what one more execution left in Temporal's history. */
  histories: Record<string, HistoryCost>;
}

const BENCH_PROCESS = 'bench (worker and client)';
const PURCHASE_VARIANTS = 6;

/** Cores used by each process group while each variant ran, averaged over its rounds. */
class CpuByVariant {
  private readonly coreSeconds: Record<string, Record<string, number>> = {};
  private readonly seconds: Record<string, number> = {};

  readonly hook: RoundHook = async (variant, round) => {
    const sampler = new CpuSampler({ [BENCH_PROCESS]: process.pid });
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
    // A variant may have its answer before the workflow closes (the Redis outcome): count the whole history.
    await client.workflow.getHandle(workflowId).result();
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
  const outcomes = new PurchaseOutcomes(redis, config.PURCHASE_STATUS_TTL_S);
  const workerConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  try {
    // Stock for every purchase of every variant, twice over: none may be refused for stock.
    const purchaseCount = PURCHASE_VARIANTS * (load.count + load.warmup + 1);
    const productId = await stockedProduct(pool, inventory, 2 * purchaseCount);
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter });
    const nativeClient = new Client({
      connection: workerConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      dataConverter,
    });
    const purchases = purchaseVariants({ productId, nativeClient, outcomes, outcomeWaitMs: OUTCOME_WAIT_MS });
    if (purchases.variants.length !== PURCHASE_VARIANTS) throw new Error('PURCHASE_VARIANTS is out of date');
    const variants = [workflowVariant('empty workflow', emptyWorkflow), ...purchases.variants];
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
          outcomes,
          sales: sdkSalesMetrics(Runtime.instance().metricMeter),
          logger,
        }),
        async noop() {},
      },
    });
    const cpu = new CpuByVariant();
    const { measurements, histories } = await worker.runUntil(async () => ({
      measurements: await measureVariants(client, taskQueue, variants, load, cpu.hook),
      histories: await historyCosts(client, taskQueue, variants),
    }));
    return {
      load,
      results: compareWithFirst(measurements),
      cores: cpu.averages(),
      notConfirmed: purchases.notConfirmed(),
      eagerlyStarted: purchases.eagerlyStarted(),
      histories,
    };
  } finally {
    await publisher.close();
    await outcomes.close();
    await Promise.allSettled([
      connection.close(),
      workerConnection.close(),
      amqp.connection.close(),
      pool.end(),
      redis.quit(),
    ]);
  }
}

/** Cores over workflows per second: a process's CPU ms per workflow, comparable across a noisy machine. */
function cpuMsPerWorkflow(report: WorkflowCostReport, variant: string, group: string): number {
  const rate = report.results.find((r) => r.variant === variant)?.workflowsPerSecond ?? Number.NaN;
  return ((report.cores[variant]?.[group] ?? 0) / rate) * 1000;
}

/** Where the CPU went while each variant ran: the bound when throughput differs. */
export function workflowCpuTable(report: WorkflowCostReport): Table {
  const groups = [...new Set(Object.values(report.cores).flatMap((cores) => Object.keys(cores)))];
  const cell = (variant: string, group: string) =>
    `${(report.cores[variant]?.[group] ?? 0).toFixed(2)} (${cpuMsPerWorkflow(report, variant, group).toFixed(1)})`;
  return {
    title: '2b. Cores busy per process while each variant ran (CPU ms per workflow)',
    header: ['variant', ...groups],
    rows: Object.keys(report.cores).map((variant) => [variant, ...groups.map((g) => cell(variant, g))]),
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

/** The ways of starting a purchase (bench/ratios/purchase-variants.ts), each against the first. */
export function purchaseStartTable(report: WorkflowCostReport): Table {
  const purchases = compareWithFirst(report.results.filter((r) => r.variant !== 'empty workflow'));
  const { eager, of } = report.eagerlyStarted;
  const ms = (variant: string, group: string) => cpuMsPerWorkflow(report, variant, group).toFixed(1);
  return {
    title: `2d. Ways to start a purchase, against start + result long-poll (${eager} of ${of} eager starts went straight to the local worker; purchases not confirmed: ${report.notConfirmed})`,
    header: ['variant', 'wf/s vs', 'p50 vs', 'p99 vs', 'Temporal CPU ms/wf', 'bench CPU ms/wf', 'history events'],
    rows: purchases.map((r) => [
      r.variant,
      r.throughputVsFirst.toFixed(2),
      r.p50VsFirst.toFixed(2),
      r.p99VsFirst.toFixed(2),
      ms(r.variant, 'temporal'),
      ms(r.variant, BENCH_PROCESS),
      String(report.histories[r.variant]?.events ?? '-'),
    ]),
  };
}
