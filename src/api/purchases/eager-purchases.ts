import type { CustomSlotSupplier, NativeConnection, WorkflowSlotInfo } from '@temporalio/worker';
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
    | 'EAGER_START_MAX_LOOP_DELAY_MS'
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
    workflowSlots: sparedWorkflowSlots(config.EAGER_START_SLOTS, config.EAGER_START_MAX_LOOP_DELAY_MS),
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

/** How often the event loop's delay is sampled, and how many samples make one judgement (250 ms). */
const LOOP_TICK_MS = 25;
const TICKS_PER_JUDGEMENT = 10;

/**
 * Whether the event loop's worst delay over the last judgement window was at
 * most `maxDelayMs`: a timer that notes how late it fires. (perf_hooks'
 * monitorEventLoopDelay loses the sample of a long block when its histogram
 * is reset in the same timer phase, measured here.)
 */
function loopHasTimeToSpare(maxDelayMs: number): () => boolean {
  let calm = true;
  let worst = 0;
  let ticks = 0;
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - LOOP_TICK_MS);
    last = now;
    ticks += 1;
    if (ticks % TICKS_PER_JUDGEMENT !== 0) return;
    calm = worst <= maxDelayMs;
    worst = 0;
  }, LOOP_TICK_MS).unref();
  return () => calm;
}

/**
 * The workflow task slots of the API's purchase worker: only for the
 * purchases Temporal hands back with their start (the SDK asks for an eager
 * task only with a slot in hand), at most `slots` at once, and none while the
 * event loop is busy. A purchase run here shares the loop with the HTTP
 * requests: when a crowd keeps it busy, the purchase's local activities would
 * wait behind sold-out answers, so the start goes through the task queue to
 * the workers, another process on another core. For the same reason this
 * worker never polls the task queue: its pollers wait for a slot that is only
 * given up when the SDK no longer needs it (on shutdown).
 */
export function sparedWorkflowSlots(slots: number, maxLoopDelayMs: number): CustomSlotSupplier<WorkflowSlotInfo> {
  const calm = loopHasTimeToSpare(maxLoopDelayMs);
  let used = 0;
  return {
    type: 'custom',
    reserveSlot(_ctx, abortSignal) {
      return new Promise((_resolve, reject) => {
        const abort = () => reject(Object.assign(new Error('slot no longer needed'), { name: 'AbortError' }));
        if (abortSignal.aborted) abort();
        else abortSignal.addEventListener('abort', abort, { once: true });
      });
    },
    tryReserveSlot() {
      if (used >= slots || !calm()) return null;
      used += 1;
      return {};
    },
    markSlotUsed() {},
    releaseSlot() {
      used -= 1;
    },
  };
}
