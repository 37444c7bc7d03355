import { log, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { CommitFailure, PurchaseActivities } from '../activities/purchase';
import type { FailureReason, PurchaseOutcome, PurchaseRequest } from '../domain/purchase';

/*
 * Every step is a local activity: it runs in the worker that runs the
 * workflow task, so a purchase costs one or two workflow tasks and a marker
 * per step instead of a task-queue round trip per activity. On a single
 * dev-server shard that is the difference that matters (see docs/performance.md).
 *
 * It sets no search attribute: the outcome is its result (and in Redis and
 * PostgreSQL for the API). It used to upsert a PurchaseStatus at the end; that
 * upsert only ever shared the last workflow task with the completion, so no
 * running purchase's history holds it and the removal needs no patch.
 */

/** Redis answers in a millisecond; retry briefly through a blip, then give up. */
const RESERVE: ActivityOptions = {
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '1m',
  retry: { initialInterval: '100ms', maximumInterval: '2s' },
};

/** PostgreSQL may be down for a while: keep retrying for minutes; business refusals are non-retryable. */
const COMMIT: ActivityOptions = {
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '5m',
  retry: { initialInterval: '200ms', maximumInterval: '10s' },
};

/** A compensation must not be lost: retry until PostgreSQL and Redis take it. */
const RELEASE: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '30s' },
};

/** Best effort: the order stands either way, and reconciliation settles what this leaves. */
const CONFIRM: ActivityOptions = {
  startToCloseTimeout: '5s',
  retry: { initialInterval: '100ms', maximumAttempts: 3 },
};

const { reserveStock } = proxyLocalActivities<PurchaseActivities>(RESERVE);
const { commitOrder } = proxyLocalActivities<PurchaseActivities>(COMMIT);
const { releaseReservation } = proxyLocalActivities<PurchaseActivities>(RELEASE);
const { confirmReservation } = proxyLocalActivities<PurchaseActivities>(CONFIRM);

/**
 * One purchase: hold the reservation (the API's gate made it) → commit the
 * order in PostgreSQL → settle the reservation, or, when the commit cannot
 * happen, release it (unless the order exists after all).
 */
export async function purchase(request: PurchaseRequest): Promise<PurchaseOutcome> {
  const finish = (outcome: Pick<PurchaseOutcome, 'status' | 'orderId' | 'reason'>): PurchaseOutcome => {
    log.info('purchase finished', { trackingId: request.trackingId, status: outcome.status, reason: outcome.reason });
    const { trackingId, productId, quantity } = request;
    return { trackingId, productId, quantity, ...outcome };
  };

  let reserved;
  try {
    reserved = await reserveStock(request);
  } catch {
    // Redis stayed out of reach past the reserve deadline: nothing was taken.
    return finish({ status: 'FAILED', reason: 'STOCK_UNAVAILABLE' });
  }
  if (reserved !== 'RESERVED' && reserved !== 'HELD') return finish({ status: 'REJECTED', reason: reserved });

  let orderId: number;
  try {
    ({ orderId } = await commitOrder(request));
  } catch (err) {
    const failure = commitFailure(err);
    const released = await releaseReservation(request, failure);
    if (released.orderId !== undefined) return finish({ status: 'CONFIRMED', orderId: released.orderId });
    return finish(failure);
  }
  try {
    await confirmReservation(request, orderId);
  } catch (err) {
    log.warn('reservation not settled; reconciliation will', { trackingId: request.trackingId, err });
  }
  return finish({ status: 'CONFIRMED', orderId });
}

/** A business refusal from the database is a rejection; anything else exhausted its retries. */
function commitFailure(err: unknown): CommitFailure {
  const type = failureType(err);
  if (type === 'INSUFFICIENT_STOCK' || type === 'PURCHASE_LIMIT' || type === 'PRODUCT_NOT_FOUND') {
    return { status: 'REJECTED', reason: type };
  }
  return { status: 'FAILED', reason: 'COMMIT_FAILED' satisfies FailureReason };
}

function failureType(err: unknown): string | undefined {
  for (let e = err as { type?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.type === 'string') return e.type;
  }
  return undefined;
}
