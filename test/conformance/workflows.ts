/** Workflows that exercise one Temporal feature each; the sandbox sees only @temporalio/workflow and types. */
import {
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { ConformanceActivities } from './activities';
import {
  addUpdate,
  approveSignal,
  closeSignal,
  PRODUCT_ID,
  statusQuery,
  totalQuery,
  type ApprovalStatus,
} from './shared';

const ACTIVITY_TIMEOUT = '10 seconds';
/** Retries quickly and evenly so a test sees several attempts in well under a second. */
const FAST_RETRY: RetryPolicy = { initialInterval: '50 ms', backoffCoefficient: 1, maximumAttempts: 5 };
/** Long enough that only a cancellation ends the hold within a test. */
const HOLD_DURATION = '1 day';

const { greet, releaseHold } = proxyActivities<ConformanceActivities>({ startToCloseTimeout: ACTIVITY_TIMEOUT });
const { succeedAfter } = proxyActivities<ConformanceActivities>({
  startToCloseTimeout: ACTIVITY_TIMEOUT,
  retry: FAST_RETRY,
});

export async function greeting(name: string): Promise<string> {
  return greet(name);
}

/** Answers with the attempt on which the flaky activity finally succeeded. */
export async function flaky(failures: number): Promise<number> {
  return succeedAfter(failures);
}

/** Answers with the workflow time that passed across the timer. */
export async function sleeper(ms: number): Promise<number> {
  const startedAt = Date.now();
  await sleep(ms);
  return Date.now() - startedAt;
}

export async function approval(): Promise<string> {
  let approver: string | undefined;
  let status: ApprovalStatus = 'WAITING';
  setHandler(statusQuery, () => status);
  setHandler(approveSignal, (who) => {
    approver = who;
    status = 'APPROVED';
  });
  await condition(() => approver !== undefined);
  return approver as string;
}

export async function counter(initial: number): Promise<number> {
  let total = initial;
  let closed = false;
  setHandler(
    addUpdate,
    (amount) => {
      total += amount;
      return total;
    },
    {
      validator: (amount) => {
        if (!(amount > 0)) throw new Error(`amount must be positive, got ${amount}`);
      },
    },
  );
  setHandler(totalQuery, () => total);
  setHandler(closeSignal, () => {
    closed = true;
  });
  await condition(() => closed);
  return total;
}

/** Holds until cancelled, then releases the hold before reporting the cancellation. */
export async function hold(holdId: string): Promise<void> {
  try {
    await sleep(HOLD_DURATION);
  } catch (err) {
    if (isCancellation(err)) await CancellationScope.nonCancellable(() => releaseHold(holdId));
    throw err;
  }
}

/** Tags itself with a product id and answers with the value it reads back. */
export async function tagged(productId: string): Promise<string | undefined> {
  upsertSearchAttributes([{ key: PRODUCT_ID, value: productId }]);
  return workflowInfo().typedSearchAttributes.get(PRODUCT_ID);
}
