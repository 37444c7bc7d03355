/**
 * Keeps Redis honest against PostgreSQL. Runs on a Temporal Schedule every
 * minute and on demand (admin API, or the admission gate when Redis has lost
 * a product).
 */
import { log, metricMeter } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { inTransaction } from '../clients/postgres';
import { workflowIdFor } from '../domain/purchase';
import type { Inventory } from '../inventory/inventory';

export interface ReconciliationDeps {
  pool: Pool;
  inventory: Inventory;
  temporal: Client;
}

export interface ProductReconciliation {
  productId: number;
  /** REBUILT: Redis had lost the product; RECONCILED: compared and repaired. */
  action: 'REBUILT' | 'RECONCILED';
  drift: number;
  available: number;
  /** Reservations whose purchase will never come (no workflow, or one that ended), given back. */
  orphansReleased: number;
}

interface Order {
  trackingId: string;
  userId: string;
  quantity: number;
}

interface TruthSnapshot {
  stock: number;
  maxPerUser: number;
  orders: Order[];
}

/** A reservation younger than this may belong to a purchase the API is still starting. */
const ORPHAN_GRACE_MS = 60_000;

export function createReconciliationActivities({ pool, inventory, temporal }: ReconciliationDeps) {
  /** Stock and orders read in one snapshot, so they agree with each other. */
  async function truth(productId: number): Promise<TruthSnapshot | undefined> {
    return inTransaction(pool, async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const product = await client.query<{ stock: number; maxPerUser: number }>(
        'SELECT stock_quantity AS stock, max_per_user AS "maxPerUser" FROM product WHERE id = $1',
        [productId],
      );
      if (product.rowCount === 0) return undefined;
      const orders = await client.query<Order>(
        'SELECT tracking_id AS "trackingId", user_id AS "userId", quantity FROM orders WHERE product_id = $1',
        [productId],
      );
      return { ...product.rows[0], orders: orders.rows };
    });
  }

  /** Purchases of the product whose workflow still runs: their units are in flight. */
  async function runningPurchases(productId: number): Promise<Order[]> {
    const running: Order[] = [];
    const query = `WorkflowType = 'purchase' AND ExecutionStatus = 'Running' AND ProductId = '${productId}'`;
    for await (const execution of temporal.workflow.list({ query })) {
      const memo = (execution.memo ?? {}) as { userId?: string; quantity?: number };
      if (!memo.userId || !memo.quantity) continue;
      running.push({
        trackingId: execution.workflowId.replace(/^purchase-/, ''),
        userId: memo.userId,
        quantity: memo.quantity,
      });
    }
    return running;
  }

  async function purchaseHasEnded(trackingId: string): Promise<boolean> {
    try {
      const description = await temporal.workflow.getHandle(workflowIdFor(trackingId)).describe();
      return description.status.name !== 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    }
  }

  async function hasOrder(trackingId: string): Promise<boolean> {
    const found = await pool.query('SELECT 1 FROM orders WHERE tracking_id = $1', [trackingId]);
    return (found.rowCount ?? 0) > 0;
  }

  async function releaseOrphans(productId: number, committed: Set<string>): Promise<number> {
    const now = Date.now();
    const candidates = (await inventory.heldReservations(productId)).filter(
      (r) => !committed.has(r.trackingId) && now - r.reservedAt > ORPHAN_GRACE_MS,
    );
    let released = 0;
    for (const r of candidates) {
      // Once its workflow has ended no commit can come: the order check after it is final.
      if (!(await purchaseHasEnded(r.trackingId)) || (await hasOrder(r.trackingId))) continue;
      const { outcome } = await inventory.release(productId, r.trackingId);
      if (outcome === 'RELEASED') released += 1;
    }
    return released;
  }

  async function rebuild(productId: number, snapshot: TruthSnapshot): Promise<ProductReconciliation | undefined> {
    const committed = new Set(snapshot.orders.map((o) => o.trackingId));
    const inFlight = (await runningPurchases(productId)).filter((p) => !committed.has(p.trackingId));
    const held = [
      ...snapshot.orders.map((o) => ({ ...o, inFlight: false })),
      ...inFlight.map((p) => ({ ...p, inFlight: true })),
    ];
    const available = await inventory.rebuild(productId, snapshot.stock, snapshot.maxPerUser, held);
    if (available === undefined) return undefined;
    return { productId, action: 'REBUILT', drift: 0, available, orphansReleased: 0 };
  }

  return {
    async listProductIds(): Promise<number[]> {
      const { rows } = await pool.query<{ id: number }>('SELECT id FROM product ORDER BY id');
      return rows.map((r) => r.id);
    },

    async reconcileProduct(productId: number): Promise<ProductReconciliation | undefined> {
      if (!(await inventory.snapshot(productId))) {
        const snapshot = await truth(productId);
        const rebuilt = snapshot && (await rebuild(productId, snapshot));
        if (rebuilt) {
          log.warn('Redis had lost the product; rebuilt from PostgreSQL and purchases in flight', { ...rebuilt });
          return rebuilt;
        }
      }
      const before = await truth(productId);
      if (!before) return undefined;
      const orphansReleased = await releaseOrphans(productId, new Set(before.orders.map((o) => o.trackingId)));
      // A fresh snapshot: releasing orphans and purchases meanwhile moved stock.
      const snapshot = (await truth(productId)) ?? before;
      const drift = await inventory.reconcile(
        productId,
        snapshot.stock,
        snapshot.orders.map((o) => o.trackingId),
      );
      metricMeter
        .createGauge(
          'pulsecart_stock_drift',
          'int',
          'units',
          'Units Redis offered beyond PostgreSQL at the last reconciliation',
        )
        .withTags({ productId: String(productId) })
        .set(drift.drift);
      if (drift.drift !== 0 || orphansReleased > 0)
        log.warn('stock drift repaired', { productId, ...drift, orphansReleased });
      return { productId, action: 'RECONCILED', drift: drift.drift, available: drift.available, orphansReleased };
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
