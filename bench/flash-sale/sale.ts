/**
 * Plays one flash sale against PulseCart and gathers what happened: every
 * request and buyer, stock as PostgreSQL, Redis and SSE saw it, CPU by
 * process; then checks every invariant at rest.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { RedisClient } from '../../src/clients/redis';
import type { Pool } from 'pg';
import { createPool } from '../../src/clients/postgres';
import { createRedis } from '../../src/clients/redis';
import { connectTemporal } from '../../src/clients/temporal';
import { loadConfig } from '../../src/config';
import { AdminApi } from '../../tools/lib/admin';
import { JsonClient } from '../../tools/lib/http';
import { checkSaleInvariants, type InvariantReport, type Violation } from '../../tools/lib/invariants';
import { spawnPulseCart, type SpawnedPulseCart } from '../../tools/lib/pulsecart';
import { sleep } from '../../tools/lib/wait';
import { BEHIND_PROXY, buyerAddress, mintTokens } from '../lib/crowd';
import { CpuSampler, peakRssMiB } from '../lib/proc';
import { runBuyer } from './buyer';
import { clientViolations } from './client-checks';
import type { SaleOptions } from './options';
import { planSale, type BuyerPlan } from './plan';
import { SaleProgress } from './progress';
import { SaleRecorder } from './recorder';
import { StockSampler } from './stock-sampler';
import { StockSubscribers } from './subscribers';

export interface SaleRun {
  options: SaleOptions;
  url: string;
  productId: number;
  /** Ms to sign every buyer's token before the sale opens. */
  tokensMs: number;
  /** When the sale opened: the time zero of every sample. */
  openedAt: Date;
  /** From the sale opening to the last buyer settled. */
  wallMs: number;
  recorder: SaleRecorder;
  stock: StockSampler;
  subscribers: StockSubscribers;
  cpu: CpuSampler;
  invariants: InvariantReport;
  /** Invariants as the buyers saw them: answers, idempotency keys, polls. */
  clientViolations: Violation[];
  /** Counted by Temporal, and by the API's /metrics: started, and of those handed back to the API (eager start). */
  workflows: { temporal: number; metrics?: number; eagerly?: number };
  peakRssMiB?: Record<string, number>;
}

/** What the sale runs against and reads from. */
interface Stage {
  options: SaleOptions;
  url: string;
  spawned?: SpawnedPulseCart;
  client: JsonClient;
  admin: AdminApi;
  pool: Pool;
  redis: RedisClient;
  temporal: Client;
}

/** The product and the crowd, ready before the sale opens. */
interface Crowd {
  productId: number;
  plans: BuyerPlan[];
  tokens: string[];
  tokensMs: number;
  /** The API's workflow counters before the sale. */
  startedBefore?: { started: number; eagerly: number };
}

type Played = Pick<SaleRun, 'recorder' | 'stock' | 'subscribers' | 'cpu' | 'wallMs' | 'openedAt'>;

async function gatherCrowd({ options, admin }: Stage): Promise<Crowd> {
  const runId = randomUUID().slice(0, 8);
  const { id } = await admin.createProduct({
    name: `Flash sale ${runId}`,
    price: 19.99,
    stock: options.stock,
    maxPerUser: options.maxPerUser,
  });
  const plans = planSale(options, runId);
  const mintStarted = performance.now();
  const tokens = await mintTokens(
    loadConfig().JWT_SECRET,
    plans.map((plan) => plan.userId),
  );
  const tokensMs = performance.now() - mintStarted;
  return { productId: id, plans, tokens, tokensMs, startedBefore: await admin.workflowsStarted() };
}

/** Starts each buyer at its arrival time; returns when every buyer is settled. */
async function playArrivals(plans: BuyerPlan[], now: () => number, start: (i: number) => Promise<void>) {
  const running: Promise<void>[] = [];
  let next = 0;
  while (next < plans.length) {
    while (next < plans.length && plans[next].arrivalMs <= now()) running.push(start(next++));
    if (next < plans.length) await sleep(Math.min(50, plans[next].arrivalMs - now()));
  }
  await Promise.all(running);
}

async function play(stage: Stage, crowd: Crowd): Promise<Played> {
  const { options, client } = stage;
  const recorder = new SaleRecorder();
  const now = () => recorder.now();
  const subscribers = await StockSubscribers.open(stage.url, crowd.productId, options.sseSubscribers, now);
  if (subscribers.unavailable) console.warn(`[flash-sale] SSE subscribers skipped: ${subscribers.unavailable}`);
  await client.connectAll(options.connections);
  const openedAt = new Date();
  recorder.open();
  const stock = new StockSampler(stage.pool, stage.redis, crowd.productId, now);
  stock.start(options.sampleMs);
  const cpu = new CpuSampler({ simulator: process.pid, ...stage.spawned?.pids });
  const progress = new SaleProgress(options.buyers, recorder, stock, client);
  const ctx = {
    client,
    recorder,
    purchaseJson: JSON.stringify({ productId: crowd.productId, quantity: 1 }),
    pollMs: options.pollMs,
    waitS: options.waitS,
  };
  await playArrivals(crowd.plans, now, (i) =>
    runBuyer(ctx, crowd.plans[i], { token: crowd.tokens[i], address: buyerAddress(i) }),
  );
  const wallMs = now();
  progress.stop();
  cpu.stop();
  await stock.stop();
  return { recorder, stock, subscribers, cpu, wallMs, openedAt };
}

/**
 * Purchase workflows of this sale. Product ids repeat across databases (the
 * tests' and ours share one Temporal), so the query also takes the start
 * time and, when we run our own worker, its task queue.
 */
function workflowQuery(productId: number, since: Date, taskQueue?: string): string {
  const clauses = [`WorkflowType = "purchase"`, `ProductId = "${productId}"`, `StartTime >= "${since.toISOString()}"`];
  if (taskQueue) clauses.push(`TaskQueue = "${taskQueue}"`);
  return clauses.join(' AND ');
}

/** Visibility is eventually consistent: counts until the figure stops moving and covers what was accepted. */
async function countWorkflows(temporal: Client, query: string, accepted: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  let last = -1;
  for (;;) {
    const { count } = await temporal.workflow.count(query);
    if ((count === last && count >= accepted) || Date.now() > deadline) return count;
    last = count;
    await sleep(500);
  }
}

/** The sale at rest: every invariant, and how many workflows it took. */
async function settle(stage: Stage, crowd: Crowd, played: Played) {
  const { admin, options } = stage;
  const { recorder, subscribers } = played;
  console.log('[flash-sale] checking the invariants at rest ...');
  const invariants = await checkSaleInvariants(
    {
      pool: stage.pool,
      redis: stage.redis,
      readStatus: (trackingId) => admin.purchaseStatus(trackingId),
      readProduct: () => admin.product(crowd.productId),
      subscribers: subscribers.unavailable || !subscribers.count ? undefined : () => subscribers.latestAvailable(),
    },
    {
      productId: crowd.productId,
      initialStock: options.stock,
      maxPerUser: options.maxPerUser,
      accepted: [...recorder.accepted],
    },
  );
  await subscribers.close();
  const query = workflowQuery(crowd.productId, played.openedAt, stage.spawned?.taskQueue);
  const startedAfter = crowd.startedBefore === undefined ? undefined : await admin.workflowsStarted();
  const before = crowd.startedBefore ?? { started: 0, eagerly: 0 };
  const workflows = {
    temporal: await countWorkflows(stage.temporal, query, recorder.accepted.size),
    metrics: startedAfter && startedAfter.started - before.started,
    eagerly: startedAfter && startedAfter.eagerly - before.eagerly,
  };
  return { invariants, clientViolations: clientViolations(recorder, invariants, options.stock), workflows };
}

export async function runSale(options: SaleOptions, logPrefix: string): Promise<SaleRun> {
  const spawned = options.spawn
    ? await spawnPulseCart({ withWorker: true, logPrefix, env: { LOG_LEVEL: options.logLevel, ...BEHIND_PROXY } })
    : undefined;
  // After the set-up that spawning runs: it supplies the payload keys when the environment has none.
  const config = loadConfig();
  const url = spawned?.url ?? options.url;
  const client = new JsonClient(url, options.connections);
  const pool = createPool({ ...config, DATABASE_POOL_SIZE: 4 });
  const redis = createRedis(config);
  const temporal = await connectTemporal(config);
  try {
    const admin = await AdminApi.connect(client);
    const stage: Stage = { options, url, spawned, client, admin, pool, redis, temporal };
    const crowd = await gatherCrowd(stage);
    const played = await play(stage, crowd);
    const settled = await settle(stage, crowd, played);
    return {
      options,
      url,
      productId: crowd.productId,
      tokensMs: crowd.tokensMs,
      ...played,
      ...settled,
      peakRssMiB: spawned && peakRssMiB(spawned.pids),
    };
  } finally {
    await Promise.allSettled([client.close(), pool.end(), redis.quit(), temporal.connection.close()]);
    await spawned?.stop();
  }
}
