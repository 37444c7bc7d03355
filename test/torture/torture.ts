/**
 * Runs torture histories against a whole PulseCart: the API in this process,
 * the worker as a real process (so a history can kill -9 it), and the real
 * PostgreSQL, Redis, RabbitMQ and Temporal. After each history it heals
 * (worker back, reconcile until at rest), settles (every accepted purchase
 * ends), checks DESIGN.md's invariants and the model (./model.ts), and then
 * drains the product with fresh buyers (invariant 7) and checks again.
 */
import { checkSaleInvariants, isTerminal } from '../../tools/lib/invariants';
import { sleep } from '../../tools/lib/wait';
import { loadConfig, type Config } from '../../src/config';
import { startPulseCart, type Harness } from '../support/harness';
import { startWorkerProcess, type RunningProcess } from '../support/processes';
import { SseSubscriber } from '../../tools/lib/sse-subscriber';
import { describeHistory, type History, type Op } from './history';
import { checkModel, trackingIdOf, type Observation, type PurchaseView, type Violation } from './model';

/** No operation of a history, nor a heal step, may take longer than this. */
const OP_TIMEOUT_MS = 60_000;
/** Every accepted purchase must end within this once the worker is back: a reserve gives up after 1 min. */
const SETTLE_TIMEOUT_MS = 120_000;
const RECONCILE_EVERY_MS = 3000;
const RECONCILIATIONS_TO_REST = 5;

/** The worker as a child process: killed with -9 by a history, started again by it or by the heal. */
export class WorkerProcess {
  private current?: RunningProcess;
  private alive = false;

  constructor(private readonly config: Config) {}

  async ensureRunning(): Promise<void> {
    if (this.current && this.alive) return;
    const started = await startWorkerProcess(this.config);
    this.current = started;
    this.alive = true;
    void started.exited.then(() => {
      if (this.current === started) this.alive = false;
    });
  }

  async kill(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
    const running = this.current;
    this.current = undefined;
    this.alive = false;
    if (!running) return;
    running.child.kill(signal);
    await running.exited;
  }
}

export interface TortureBench {
  h: Harness;
  worker: WorkerProcess;
}

/** Redis losing its data is FLUSHDB here: on a database of its own, so that it never wipes what other suites hold. */
const OWN_REDIS_DATABASE = 15;

function ownRedisDatabase(url: string): string {
  const own = new URL(url);
  own.pathname = `/${OWN_REDIS_DATABASE}`;
  return own.toString();
}

export async function openBench(): Promise<TortureBench> {
  // A short sync deadline: a purchase caught by a dead worker answers 202 soon.
  const REDIS_URL = ownRedisDatabase(loadConfig().REDIS_URL);
  const h = await startPulseCart({ SYNC_DEADLINE_MS: 2000, REDIS_URL }, { withWorker: false });
  const worker = new WorkerProcess(h.config);
  await worker.ensureRunning();
  return { h, worker };
}

export async function closeBench({ h, worker }: TortureBench): Promise<void> {
  await worker.kill('SIGTERM');
  await h.close();
}

export interface HistoryResult {
  history: History;
  observations: Observation[];
  violations: Violation[];
  durationMs: number;
  /** Purchases with a workflow. */
  accepted: number;
}

interface Run {
  bench: TortureBench;
  history: History;
  productId: number;
  admin: string;
  buyers: string[];
  started: number;
}

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${OP_TIMEOUT_MS} ms`)), OP_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Sends one operation and records what the client saw. */
async function perform(run: Run, op: Op, index: number): Promise<Observation> {
  const { h, worker } = run.bench;
  const since = () => Date.now() - run.started;
  const observation: Observation = { index, op, startedAt: since(), endedAt: 0 };
  const http = async (method: string, path: string, token: string, body: unknown, headers = {}) => {
    const response = await withTimeout(h.request(method, path, { token, body, headers }), `${method} ${path}`);
    observation.status = response.status;
    observation.body = response.body;
  };
  try {
    switch (op.kind) {
      case 'purchase':
        await http(
          'POST',
          `/api/v1/${op.mode}/purchase`,
          run.buyers[op.buyer],
          { productId: run.productId, quantity: op.quantity },
          op.key ? { 'idempotency-key': op.key } : {},
        );
        break;
      case 'restock':
        await http('PUT', `/api/v1/admin/products/${run.productId}/stock`, run.admin, { stock: op.stock });
        break;
      case 'reconcile':
        await http('POST', '/api/v1/admin/reconcile', run.admin, { productIds: [run.productId] });
        break;
      case 'flushRedis':
        // Data loss as the application sees it: its Redis database comes back empty.
        await h.redis.flushdb();
        break;
      case 'killWorker':
        await worker.kill();
        await sleep(op.downMs);
        await withTimeout(worker.ensureRunning(), 'worker restart');
        break;
    }
  } catch (err) {
    observation.error = (err as Error).message;
  }
  observation.endedAt = since();
  return observation;
}

async function readView(run: Run, trackingId: string): Promise<PurchaseView | undefined> {
  const read = await run.bench.h.request('GET', `/api/v1/purchases/${trackingId}`, { token: run.admin });
  return read.status === 200 ? read.body : undefined;
}

async function reconcile(
  run: Run,
): Promise<{ action: string; drift: number; orphansReleased: number; orphansStarted: number } | undefined> {
  const report = await withTimeout(
    run.bench.h.request('POST', '/api/v1/admin/reconcile', { token: run.admin, body: { productIds: [run.productId] } }),
    'reconcile',
  );
  if (report.status !== 200) throw new Error(`reconcile answered ${report.status}: ${JSON.stringify(report.body)}`);
  return report.body.products[0];
}

/**
 * Heal and settle: the worker back, every accepted purchase terminal (with a
 * reconciliation now and then, as the minute schedule would), then
 * reconciliations until one finds nothing to repair.
 */
async function heal(run: Run, trackingIds: string[]): Promise<Violation[]> {
  try {
    return await settle(run, trackingIds);
  } catch (err) {
    return [{ check: 'heals and settles', message: (err as Error).message }];
  }
}

async function settle(run: Run, trackingIds: string[]): Promise<Violation[]> {
  const fail = (message: string): Violation[] => [{ check: 'heals and settles', message }];
  await withTimeout(run.bench.worker.ensureRunning(), 'worker start');
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let open = trackingIds;
  let reconciled = 0;
  while (open.length > 0) {
    if (Date.now() > deadline) return fail(`${open.length} purchases never ended, e.g. ${open[0]}`);
    if (Date.now() - reconciled > RECONCILE_EVERY_MS) {
      await reconcile(run);
      reconciled = Date.now();
    }
    const views = await Promise.all(open.map((t) => readView(run, t)));
    open = open.filter((_, i) => views[i] && !isTerminal(views[i]!.status));
    if (open.length > 0) await sleep(250);
  }
  for (let i = 0; i < RECONCILIATIONS_TO_REST; i++) {
    const report = await reconcile(run);
    if (report?.action === 'RECONCILED' && report.drift === 0 && report.orphansReleased + report.orphansStarted === 0)
      return [];
  }
  return fail(`still repairing after ${RECONCILIATIONS_TO_REST} reconciliations`);
}

/** Every unit ever put on sale: the initial stock and each restock's difference, from the audit log. */
async function restocksOnRecord(run: Run): Promise<{ before: number; after: number }[]> {
  const { rows } = await run.bench.h.pool.query<{ before: number; after: number }>(
    `SELECT (before->>'stock')::int AS before, (after->>'stock')::int AS after FROM admin_audit_log
      WHERE product_id = $1 AND action = 'product.restock' ORDER BY id`,
    [run.productId],
  );
  return rows;
}

async function checkInvariants(
  run: Run,
  accepted: string[],
  stream: SseSubscriber,
  label: string,
): Promise<Violation[]> {
  const restocks = await restocksOnRecord(run);
  const putOnSale = restocks.reduce((sum, r) => sum + r.after - r.before, run.history.stock);
  const { h } = run.bench;
  const report = await checkSaleInvariants(
    {
      pool: h.pool,
      redis: h.redis,
      readStatus: async (t) => (await readView(run, t))?.status,
      readProduct: async () => (await h.request('GET', `/api/v1/products/${run.productId}`)).body,
      subscribers: () => [stream.latest?.available],
    },
    { productId: run.productId, initialStock: putOnSale, maxPerUser: run.history.maxPerUser, accepted },
    { timeoutMs: 5000 },
  );
  return report.violations.map((v) => ({ check: `invariant ${v.invariant}${label}`, message: v.message }));
}

/**
 * Invariant 7 at rest: fresh buyers, one unit each, buy every unit PostgreSQL
 * still has; then the next fresh buyer gets 409 SOLD_OUT.
 */
async function drain(run: Run): Promise<{ violations: Violation[]; accepted: string[] }> {
  const { h } = run.bench;
  // Past the API's in-memory sold-out answer, which may predate the last restock.
  await sleep(h.config.SOLD_OUT_CACHE_MS + 50);
  const product = (await h.request('GET', `/api/v1/products/${run.productId}`)).body;
  const accepted: string[] = [];
  for (let left = product.stock; left > 0; left--) {
    const bought = await h.request('POST', '/api/v1/sync/purchase', {
      token: await h.token(h.buyer('torture-fresh')),
      body: { productId: run.productId, quantity: 1 },
    });
    if (bought.body?.trackingId) accepted.push(bought.body.trackingId);
    if (bought.status !== 200) {
      const code = bought.body?.error?.code ?? '';
      const message = `with ${left} of ${product.stock} units in stock at rest, a fresh buyer got ${bought.status} ${code}`;
      return { violations: [{ check: 'invariant 7: a fresh buyer can buy while stock remains', message }], accepted };
    }
  }
  const last = await h.request('POST', '/api/v1/sync/purchase', {
    token: await h.token(h.buyer('torture-fresh')),
    body: { productId: run.productId, quantity: 1 },
  });
  if (last.status === 409 && last.body?.error?.code === 'SOLD_OUT') return { violations: [], accepted };
  if (last.body?.trackingId) accepted.push(last.body.trackingId);
  const message = `with no stock left, a fresh buyer got ${last.status} ${last.body?.error?.code ?? ''}`;
  return { violations: [{ check: 'a fresh buyer gets 409 SOLD_OUT when none remains', message }], accepted };
}

/** Purchases the API accepted: every trackingId it named that Temporal knows, and every 200/202 in any case. */
async function acceptedPurchases(run: Run, observations: Observation[]): Promise<string[]> {
  const named = new Map<string, boolean>();
  for (const o of observations) {
    const trackingId = trackingIdOf(o);
    if (trackingId) named.set(trackingId, (named.get(trackingId) ?? false) || o.status === 200 || o.status === 202);
  }
  const accepted: string[] = [];
  for (const [trackingId, answered] of named) {
    if (answered || (await readView(run, trackingId))) accepted.push(trackingId);
  }
  return accepted;
}

export async function runHistory(bench: TortureBench, history: History): Promise<HistoryResult> {
  const { h } = bench;
  const began = Date.now();
  const { id: productId } = await h.createProduct({ stock: history.stock, maxPerUser: history.maxPerUser });
  const buyers = await Promise.all(
    Array.from({ length: history.buyers }, (_, i) => h.token(h.buyer(`torture-${history.seed}-b${i}`))),
  );
  const stream = await SseSubscriber.open(h.baseUrl, productId);
  const run: Run = { bench, history, productId, admin: await h.adminToken(), buyers, started: Date.now() };
  try {
    const observations = await Promise.all(
      history.ops.map(async ({ at, op }, index) => {
        await sleep(run.started + at - Date.now());
        return perform(run, op, index);
      }),
    );
    const accepted = await acceptedPurchases(run, observations);
    const violations = await heal(run, accepted);
    const views = new Map<string, PurchaseView>();
    for (const trackingId of accepted) {
      const view = await readView(run, trackingId);
      if (view) views.set(trackingId, view);
    }
    const restocksRecorded = (await restocksOnRecord(run)).map((r) => r.after);
    violations.push(...checkModel(history, observations, { productId, views, restocksRecorded }));
    violations.push(...(await checkInvariants(run, accepted, stream, '')));
    const drained = await drain(run);
    violations.push(...drained.violations);
    const all = [...accepted, ...drained.accepted];
    violations.push(...(await heal(run, drained.accepted)));
    // What broke before the drain and still does is said once.
    const said = new Set(violations.map((v) => `${v.check} (after the drain): ${v.message}`));
    const afterDrain = await checkInvariants(run, all, stream, ' (after the drain)');
    violations.push(...afterDrain.filter((v) => !said.has(`${v.check}: ${v.message}`)));
    return { history, observations, violations, durationMs: Date.now() - began, accepted: accepted.length };
  } finally {
    stream.close();
  }
}

export function describeObservations(observations: Observation[]): string {
  return observations
    .map((o) => {
      const code = o.body?.error?.code ? ` ${o.body.error.code}` : '';
      const trackingId = trackingIdOf(o) ? ` ${trackingIdOf(o)}` : '';
      return `  #${o.index} ${o.startedAt}–${o.endedAt} ms → ${o.status ?? o.error ?? 'done'}${code}${trackingId}`;
    })
    .join('\n');
}

/** What a failing history prints: how to replay it, what it did, what the client saw, what broke. */
export function describeFailure(result: HistoryResult): string {
  return [
    `history FAILED — replay: npm run torture -- --seed ${result.history.seed}`,
    describeHistory(result.history),
    'answers:',
    describeObservations(result.observations),
    'violations:',
    ...result.violations.map((v) => `  [${v.check}] ${v.message}`),
  ].join('\n');
}
