/**
 * Workflows for the benchmarks: the cheapest possible workflow, then one step
 * more, and PulseCart's own purchase workflow, so one worker can run them all
 * on one task queue (bench/baseline.ts, bench/ratios/workflow-cost.ts).
 */
import {
  allHandlersFinished,
  condition,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { PurchaseOutcome, PurchaseRequest } from '../src/domain/purchase';
import { purchase } from '../src/workflows/purchase';

export { purchase };

/** What the bench worker registers; the workflows only need its type. */
export interface BenchActivities {
  noop(): Promise<void>;
}

const ACTIVITY_TIMEOUT = '10 seconds';

const { noop } = proxyActivities<BenchActivities>({ startToCloseTimeout: ACTIVITY_TIMEOUT });
const local = proxyLocalActivities<BenchActivities>({ startToCloseTimeout: ACTIVITY_TIMEOUT });

/** One workflow task and nothing else: the floor every other workflow is compared with. */
export async function emptyWorkflow(): Promise<void> {}

export async function oneActivityWorkflow(): Promise<void> {
  await noop();
}

export async function oneLocalActivityWorkflow(): Promise<void> {
  await local.noop();
}

/** Answers with the purchase's outcome once it has one: the sync path as one update-with-start request. */
export const outcomeUpdate = defineUpdate<PurchaseOutcome>('outcome');

/** PulseCart's purchase, answering `outcomeUpdate` (bench/ratios/workflow-cost.ts's update-with-start variant). */
export async function purchaseAnswering(request: PurchaseRequest): Promise<PurchaseOutcome> {
  const answer: { outcome?: PurchaseOutcome } = {};
  setHandler(outcomeUpdate, async () => {
    await condition(() => answer.outcome !== undefined);
    return answer.outcome as PurchaseOutcome;
  });
  answer.outcome = await purchase(request);
  await condition(allHandlersFinished);
  return answer.outcome;
}
