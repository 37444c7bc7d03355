/**
 * The purchase workflow's activities: every side effect of a purchase lives
 * here, keyed by the tracking id so that any retry is harmless.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { PurchaseRequest } from '../domain/purchase';
import type { Inventory, ReserveOutcome } from '../inventory/inventory';
import type { Logger } from '../logger';
import type { PurchaseOutcome } from '../domain/purchase';
import type { PurchaseOutcomes } from '../purchase-status/purchase-outcomes';
import type { CoalescingPublisher } from '../stock-events/coalescing-publisher';
import { commitOrder, type CommittedOrder } from './commit-order';
import { countSale, type SalesMetrics } from './sales-metrics';
import { releaseReservation, type Released } from './release-reservation';

export interface PurchaseActivityDeps {
  pool: Pool;
  inventory: Inventory;
  /** Throttled per product: a burst of purchases becomes a few events carrying the newest value. */
  publisher: Pick<CoalescingPublisher, 'offer'>;
  /** Where each purchase's outcome lands for the API (the activity that ends a purchase writes it). */
  outcomes: PurchaseOutcomes;
  /** The business metrics of committed orders: the SDK's meter in a worker, the registry in an API. */
  sales: SalesMetrics;
  logger: Logger;
}

/** How a purchase ends when its commit cannot happen: the workflow decides, the release records it. */
export type CommitFailure = Pick<PurchaseOutcome, 'status' | 'reason'>;

export function createPurchaseActivities({
  pool,
  inventory,
  publisher,
  outcomes,
  sales,
  logger,
}: PurchaseActivityDeps) {
  const broadcast = publisher.offer.bind(publisher);

  /** Runs one workflow step and logs one line for it, success or failure. */
  async function step<T>(name: string, request: PurchaseRequest, run: () => Promise<T>): Promise<T> {
    const { attempt } = Context.current().info;
    const started = performance.now();
    const fields = { step: name, trackingId: request.trackingId, productId: request.productId, attempt };
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
     * The API's admission gate reserved already, so this finds the units HELD;
     * a purchase that started without one (the API gave its reservation back
     * because it could not tell the workflow existed) reserves here. A product
     * Redis does not know means Redis lost its data (the gate only admits known
     * products): retry until reconciliation rebuilt it, with this purchase's
     * units counted as in flight.
     */
    reserveStock(request: PurchaseRequest): Promise<ReserveOutcome> {
      return step('reserveStock', request, async () => {
        const { outcome } = await inventory.reserve(request);
        if (outcome === 'PRODUCT_NOT_FOUND') {
          throw ApplicationFailure.retryable('Redis does not hold this product right now', 'STOCK_UNAVAILABLE');
        }
        // A refusal here ends the purchase.
        if (outcome !== 'RESERVED' && outcome !== 'HELD')
          await outcomes.finish(request, { status: 'REJECTED', reason: outcome });
        return outcome;
      });
    },

    /** The order and the stock in PostgreSQL, the truth. A cancelled attempt rolls back. */
    commitOrder(request: PurchaseRequest): Promise<CommittedOrder> {
      return step('commitOrder', request, async () => {
        const { sale, ...order } = await commitOrder(pool, request, Context.current().cancellationSignal);
        if (sale) countSale(sales, request, sale);
        // The sale's figures stay out of the workflow history: the order id is all it needs.
        return order;
      });
    },

    /** The order holds the units now: settle the reservation, tell subscribers the stock, record the outcome. */
    confirmReservation(request: PurchaseRequest, orderId: number): Promise<void> {
      return step('confirmReservation', request, async () => {
        const snapshot = await inventory.settle(request.productId, request.trackingId);
        if (snapshot) broadcast({ productId: request.productId, ...snapshot, ts: Date.now() });
        await outcomes.finish(request, { status: 'CONFIRMED', orderId });
      });
    },

    /**
     * Compensation: the units go back (and subscribers hear of it), unless the
     * order exists after all; records how the purchase ended.
     */
    releaseReservation(request: PurchaseRequest, failure: CommitFailure): Promise<Released> {
      return step('releaseReservation', request, async () => {
        const released = await releaseReservation({ pool, inventory, broadcast }, request);
        const { orderId } = released;
        await outcomes.finish(request, orderId === undefined ? failure : { status: 'CONFIRMED', orderId });
        return released;
      });
    },
  };
}

export type PurchaseActivities = ReturnType<typeof createPurchaseActivities>;
