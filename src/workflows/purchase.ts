import {
  log,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { PurchaseActivities } from '../activities';
import type { PurchaseOutcome, PurchaseRequest, PurchaseStatus } from '../domain/purchase';
import { PurchaseStatusAttribute, statusQuery } from './shared';

/*
 * Every step is a local activity: it runs in the worker that runs the
 * workflow task, so a purchase costs one or two workflow tasks and a marker
 * per step instead of a task-queue round trip per activity. On a single
 * dev-server shard that is the difference that matters (see README).
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

/** A compensation must not be lost: retry until Redis takes it. */
const RELEASE: ActivityOptions = {
  startToCloseTimeout: '5s',
  retry: { initialInterval: '200ms', maximumInterval: '30s' },
};

/** Best effort: a few quick tries, then the purchase goes on without it. */
const BROADCAST: ActivityOptions = {
  startToCloseTimeout: '5s',
  retry: { initialInterval: '100ms', maximumAttempts: 3 },
};

const reserveActivities = proxyLocalActivities<PurchaseActivities>(RESERVE);
const commitActivities = proxyLocalActivities<PurchaseActivities>(COMMIT);
const releaseActivities = proxyLocalActivities<PurchaseActivities>(RELEASE);
const broadcastActivities = proxyLocalActivities<PurchaseActivities>(BROADCAST);

/** Reserve in Redis → commit in PostgreSQL → release if the commit cannot happen → broadcast. */
export async function purchase(request: PurchaseRequest): Promise<PurchaseOutcome> {
  let status: PurchaseStatus = 'PENDING';
  setHandler(statusQuery, () => status);

  const finish = (outcome: Omit<PurchaseOutcome, 'trackingId' | 'productId' | 'quantity'>): PurchaseOutcome => {
    status = outcome.status;
    upsertSearchAttributes([{ key: PurchaseStatusAttribute, value: status }]);
    log.info('purchase finished', { trackingId: request.trackingId, status, reason: outcome.reason });
    return { trackingId: request.trackingId, productId: request.productId, quantity: request.quantity, ...outcome };
  };

  let reservation: Awaited<ReturnType<PurchaseActivities['reserveStock']>>;
  try {
    reservation = await reserveActivities.reserveStock(request);
  } catch {
    // Redis stayed out of reach past the reserve deadline: nothing was taken.
    return finish({ status: 'FAILED', reason: 'STOCK_UNAVAILABLE' });
  }
  if (reservation.outcome === 'RELEASED') return finish({ status: 'REJECTED', reason: 'COMMIT_FAILED' });
  if (reservation.outcome !== 'RESERVED' && reservation.outcome !== 'HELD')
    return finish({ status: 'REJECTED', reason: reservation.outcome });

  let orderId: number;
  try {
    ({ orderId } = await commitActivities.commitOrder(request));
  } catch (err) {
    await releaseActivities.releaseReservation(request);
    await broadcast(request);
    return finish(commitFailure(err));
  }
  await broadcast(request);
  return finish({ status: 'CONFIRMED', orderId });
}

async function broadcast(request: PurchaseRequest): Promise<void> {
  try {
    await broadcastActivities.broadcastStock(request);
  } catch (err) {
    log.warn('stock broadcast failed; the purchase stands', { trackingId: request.trackingId, err });
  }
}

/** A business refusal from the database is a rejection; anything else exhausted its retries. */
function commitFailure(err: unknown): Pick<PurchaseOutcome, 'status' | 'reason'> {
  const type = findFailureType(err);
  if (type === 'INSUFFICIENT_STOCK' || type === 'PRODUCT_NOT_FOUND') return { status: 'REJECTED', reason: type };
  return { status: 'FAILED', reason: 'COMMIT_FAILED' };
}

function findFailureType(err: unknown): string | undefined {
  for (let e = err as { type?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.type === 'string') return e.type;
  }
  return undefined;
}
