/**
 * Workflows for the benchmarks: the cheapest possible workflow, then one step
 * more, and PulseCart's own purchase workflow, so one worker can run them all
 * on one task queue (bench/baseline.ts, bench/ratios/workflow-cost.ts).
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

export { purchase } from '../src/workflows/purchase';

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
