import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { PurchaseRequest } from '../domain/purchase';
import type { Inventory } from '../inventory/inventory';
import type { StockEvent } from '../stock-events/topology';
import { voidPurchase } from './commit-order';

export interface ReleaseDeps {
  pool: Pool;
  inventory: Inventory;
  /** Tells subscribers the stock after the release (throttled; never waits). */
  broadcast: (event: StockEvent) => void;
}

/** How a purchase that will not commit now stands: its units given back, or the order it has after all. */
export interface Released {
  /** Set when the order exists after all (a commit whose reply was lost): the units stay with it. */
  orderId?: number;
}

/**
 * Compensation, shared by the purchase workflow and reconciliation's orphan
 * sweep: voids the purchase in PostgreSQL first, so that no commit still in
 * flight can land after the units are given back; if its order exists, the
 * reservation is settled instead. Idempotent: every step is keyed by the
 * tracking id.
 */
export async function releaseReservation(deps: ReleaseDeps, request: PurchaseRequest): Promise<Released> {
  const { pool, inventory, broadcast } = deps;
  const order = await voidPurchase(pool, request);
  if (order) {
    await inventory.settle(request.productId, request.trackingId);
    return order;
  }
  const released = await inventory.release(request.productId, request.trackingId);
  if (released.outcome === 'MISSING') {
    // Redis lost the product: its rebuild counts this purchase as in flight while it runs, so the units
    // can only be given back once it is rebuilt. Retry until then.
    throw ApplicationFailure.retryable('Redis does not hold this product right now', 'STOCK_UNAVAILABLE');
  }
  if (released.outcome === 'RELEASED') {
    broadcast({
      productId: request.productId,
      available: released.available,
      version: released.version,
      ts: Date.now(),
    });
  }
  return {};
}
