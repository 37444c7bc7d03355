/**
 * The purchase workflow's activities: every side effect of a purchase lives
 * here, keyed by the tracking id so that any retry is harmless.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { PurchaseRequest } from '../domain/purchase';
import type { Inventory, ReleaseResult, ReserveResult, StockSnapshot } from '../inventory/inventory';
import type { Logger } from '../logger';
import type { CoalescingPublisher } from '../stock-events/coalescing-publisher';
import { commitOrder, type CommittedOrder } from './commit-order';

export interface ActivityDeps {
  pool: Pool;
  inventory: Inventory;
  /** Throttled per product: a burst of purchases becomes a few events carrying the newest value. */
  publisher: Pick<CoalescingPublisher, 'offer'>;
  logger: Logger;
}

export function createActivities({ pool, inventory, publisher, logger }: ActivityDeps) {
  /** Runs one workflow step and logs one line for it, success or failure. */
  async function step<T>(name: string, request: { trackingId: string }, run: () => Promise<T>): Promise<T> {
    const { workflowExecution, attempt } = Context.current().info;
    const started = performance.now();
    const fields = { step: name, trackingId: request.trackingId, workflowId: workflowExecution?.workflowId, attempt };
    try {
      const result = await run();
      logger.info({ ...fields, ms: Math.round(performance.now() - started), result }, name);
      return result;
    } catch (err) {
      logger.warn({ ...fields, ms: Math.round(performance.now() - started), err }, `${name} failed`);
      throw err;
    }
  }

  return {
    /**
     * The admission gate reserved already, so this finds the units HELD. A
     * product Redis does not know means Redis lost its data (the gate only
     * admits known products): retry until reconciliation rebuilt it, with
     * this purchase's units counted as in flight.
     */
    reserveStock(request: PurchaseRequest): Promise<ReserveResult> {
      return step('reserveStock', request, async () => {
        const result = await inventory.reserve(request);
        if (result.outcome === 'PRODUCT_NOT_FOUND') {
          throw ApplicationFailure.retryable('Redis does not hold this product right now', 'STOCK_UNAVAILABLE');
        }
        return result;
      });
    },

    commitOrder(request: PurchaseRequest): Promise<CommittedOrder> {
      return step('commitOrder', request, () => commitOrder(pool, request));
    },

    releaseReservation(request: PurchaseRequest): Promise<ReleaseResult> {
      return step('releaseReservation', request, () => inventory.release(request.productId, request.trackingId));
    },

    /**
     * Tells subscribers the stock now available. The purchase does not wait
     * for the broker: the publisher sends it now or with the product's next
     * trailing event, and a failed broadcast never fails a purchase.
     */
    broadcastStock(request: PurchaseRequest): Promise<StockSnapshot | undefined> {
      return step('broadcastStock', request, async () => {
        const snapshot = await inventory.snapshot(request.productId);
        if (snapshot) publisher.offer({ productId: request.productId, ...snapshot, ts: Date.now() });
        return snapshot;
      });
    },
  };
}

export type PurchaseActivities = ReturnType<typeof createActivities>;
