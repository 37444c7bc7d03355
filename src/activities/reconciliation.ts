/**
 * Keeps Redis honest against PostgreSQL. Runs on a Temporal Schedule every
 * minute and on demand (admin API, a restock or the admission gate finding
 * that Redis lost a product).
 */
import { log, metricMeter } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Pool, PoolClient } from 'pg';
import { inTransaction, withAdvisoryLock } from '../clients/postgres';
import { workflowIdFor, type PurchaseRequest } from '../domain/purchase';
import { stockLockName, type Inventory, type RebuildState, type StockSnapshot } from '../inventory/inventory';
import type { StockEvent } from '../stock-events/topology';
import { PURCHASE_WORKFLOW, purchaseStart } from '../workflows/shared';
import { releaseReservation } from './release-reservation';

export interface ReconciliationDeps {
  pool: Pool;
  inventory: Inventory;
  temporal: Client;
  /** The purchases' task queue: an orphan whose purchase never started is started there. */
  purchaseTaskQueue: string;
  /** Tells subscribers every change of available stock (throttled; never waits). */
  broadcast: (event: StockEvent) => void;
}

export interface ProductReconciliation {
  productId: number;
  /** REBUILT: Redis had lost the product; RECONCILED: compared and repaired. */
  action: 'REBUILT' | 'RECONCILED';
  drift: number;
  available: number;
  /** Reservations whose purchase ended without settling them, given back. */
  orphansReleased: number;
  /** Reservations whose purchase never started (its API stopped first): their purchases, started now. */
  orphansStarted: number;
}

type Orphans = Pick<ProductReconciliation, 'orphansReleased' | 'orphansStarted'>;
const NO_ORPHANS: Orphans = { orphansReleased: 0, orphansStarted: 0 };

/** A reservation younger than this may belong to a purchase the API is still starting. */
const ORPHAN_GRACE_MS = 60_000;

export function createReconciliationActivities({
  pool,
  inventory,
  temporal,
  purchaseTaskQueue,
  broadcast,
}: ReconciliationDeps) {
  // Only the event's fields: consumers refuse a stock event with any other (its schema is strict).
  const announce = (productId: number, { available, version }: StockSnapshot) =>
    broadcast({ productId, available, version, ts: Date.now() });

  /** Reads in one REPEATABLE READ snapshot, so that everything read agrees. */
  const inSnapshot = <T>(work: (client: PoolClient) => Promise<T>) =>
    inTransaction(pool, async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      return work(client);
    });

  async function committedAmong(client: PoolClient, trackingIds: string[]): Promise<Set<string>> {
    if (trackingIds.length === 0) return new Set();
    const { rows } = await client.query<{ trackingId: string }>(
      'SELECT tracking_id AS "trackingId" FROM orders WHERE tracking_id = ANY($1::uuid[])',
      [trackingIds],
    );
    return new Set(rows.map((r) => r.trackingId));
  }

  /** Purchases of the product whose workflow still runs: their units are in flight. */
  async function runningPurchases(productId: number): Promise<PurchaseRequest[]> {
    const running: PurchaseRequest[] = [];
    const query = `WorkflowType = 'purchase' AND ExecutionStatus = 'Running' AND ProductId = '${productId}'`;
    for await (const execution of temporal.workflow.list({ query })) {
      const memo = (execution.memo ?? {}) as { userId?: string; quantity?: number };
      if (!memo.userId || !memo.quantity) continue;
      const trackingId = execution.workflowId.replace(/^purchase-/, '');
      running.push({ trackingId, productId, userId: memo.userId, quantity: memo.quantity });
    }
    return running;
  }

  /**
   * What Redis must hold for a product it lost. Running purchases are listed
   * before the snapshot is taken: a purchase that commits in between is then
   * in the snapshot's orders, and one still running is in the list.
   */
  async function rebuildState(productId: number): Promise<RebuildState | undefined> {
    const running = await runningPurchases(productId);
    return inSnapshot(async (client) => {
      const product = await client.query<{ stock: number; maxPerUser: number }>(
        'SELECT stock_quantity AS stock, max_per_user AS "maxPerUser" FROM product WHERE id = $1',
        [productId],
      );
      if (product.rowCount === 0) return undefined;
      const ordered = await client.query<{ userId: string; units: number }>(
        'SELECT user_id AS "userId", SUM(quantity)::int AS units FROM orders WHERE product_id = $1 GROUP BY user_id',
        [productId],
      );
      const committed = await committedAmong(
        client,
        running.map((r) => r.trackingId),
      );
      return {
        ...product.rows[0],
        committed: Object.fromEntries(ordered.rows.map((r) => [r.userId, r.units])),
        inFlight: running.filter((r) => !committed.has(r.trackingId)),
      };
    });
  }

  async function rebuild(productId: number): Promise<ProductReconciliation | undefined> {
    const state = await rebuildState(productId);
    const rebuilt = state && (await inventory.rebuild(productId, state));
    if (!rebuilt) return undefined;
    announce(productId, rebuilt);
    log.warn('Redis had lost the product; rebuilt from PostgreSQL and purchases in flight', {
      productId,
      available: rebuilt.available,
    });
    return { productId, action: 'REBUILT', drift: 0, available: rebuilt.available, ...NO_ORPHANS };
  }

  /**
   * Repairs available stock from a snapshot. The Redis clock is read before
   * the snapshot and the reservations after it, so reconcile.lua can tell
   * which of them the snapshot counted (see there).
   */
  async function repair(productId: number): Promise<ProductReconciliation | undefined> {
    const snapshotAt = await inventory.now();
    const truth = await inSnapshot(async (client) => {
      const product = await client.query<{ stock: number }>(
        'SELECT stock_quantity AS stock FROM product WHERE id = $1',
        [productId],
      );
      if (product.rowCount === 0) return undefined;
      const committed = await committedAmong(client, await inventory.reservationIds(productId));
      return { stock: product.rows[0].stock, committed: [...committed] };
    });
    if (!truth) return undefined;
    const drift = await inventory.reconcile(productId, truth.stock, snapshotAt, truth.committed);
    if (!drift) return rebuild(productId);
    // The SDK's gauges take no negative value (it throws, after the repair, and the activity was retried):
    // the gauge says by how much, the report and the log line which way.
    metricMeter
      .createGauge(
        'pulsecart_stock_drift',
        'int',
        'units',
        'Units by which Redis and PostgreSQL disagreed at the last reconciliation, either way',
      )
      .withTags({ productId: String(productId) })
      .set(Math.abs(drift.drift));
    // Every run says the stock, repaired or not: an event a worker held back when it died (the publisher
    // coalesces) is then made good within one reconciliation period.
    announce(productId, drift);
    if (drift.drift !== 0) log.warn('stock drift repaired', { productId, ...drift });
    return { productId, action: 'RECONCILED', drift: drift.drift, available: drift.available, ...NO_ORPHANS };
  }

  async function purchaseState(trackingId: string): Promise<'RUNNING' | 'ENDED' | 'NEVER_STARTED'> {
    try {
      const description = await temporal.workflow.getHandle(workflowIdFor(trackingId)).describe();
      return description.status.name === 'RUNNING' ? 'RUNNING' : 'ENDED';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'NEVER_STARTED';
      throw err;
    }
  }

  /** Starts the purchase an API admitted and stopped before starting; false when it has been started since. */
  async function startOrphan(request: PurchaseRequest): Promise<boolean> {
    try {
      await temporal.workflow.start(
        PURCHASE_WORKFLOW,
        purchaseStart(request, workflowIdFor(request.trackingId), purchaseTaskQueue),
      );
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw err;
    }
  }

  /**
   * Reservations a minute old whose purchase is not running. One that never started (the API that admitted it
   * stopped before its start) is started now, as the API would have: its buyer was admitted, and may have been
   * told PENDING. One that ended without settling them (its compensation could not finish) is given back, the
   * purchase voided for good; its buyer reads the workflow's own result (the API describes a stale PENDING).
   */
  async function settleOrphans(productId: number): Promise<Orphans> {
    const now = await inventory.now();
    const candidates = (await inventory.heldReservations(productId)).filter(
      (r) => now - r.reservedAt > ORPHAN_GRACE_MS,
    );
    const orphans = { ...NO_ORPHANS };
    for (const r of candidates) {
      const state = await purchaseState(r.trackingId);
      if (state === 'RUNNING') continue;
      // Its pattern died with the API: the sale's metrics count it as 'unknown'.
      const request: PurchaseRequest = { trackingId: r.trackingId, userId: r.userId, productId, quantity: r.quantity };
      if (state === 'NEVER_STARTED') {
        if (await startOrphan(request)) orphans.orphansStarted += 1;
        continue;
      }
      const { orderId } = await releaseReservation({ pool, inventory, broadcast }, request);
      if (orderId === undefined) orphans.orphansReleased += 1;
    }
    if (orphans.orphansStarted + orphans.orphansReleased > 0)
      log.warn('orphan reservations settled', { productId, ...orphans });
    return orphans;
  }

  /** Restocks hold the same lock between their PostgreSQL commit and their Redis adjust. */
  async function reconcileProduct(productId: number): Promise<ProductReconciliation | undefined> {
    const orphans = (await inventory.snapshot(productId)) ? await settleOrphans(productId) : NO_ORPHANS;
    const result = await withAdvisoryLock(pool, stockLockName(productId), () => repair(productId));
    return result && { ...result, ...orphans };
  }

  return {
    async listProductIds(): Promise<number[]> {
      const { rows } = await pool.query<{ id: number }>('SELECT id FROM product ORDER BY id');
      return rows.map((r) => r.id);
    },

    /** One product: what runs started before reconciliation went by pages call. */
    reconcileProduct,

    /**
     * A page of products, one after the other: one activity (three history events, one workflow task) for the
     * page instead of one per product. A retry reconciles the whole page again, which finds no drift twice.
     */
    async reconcileProducts(productIds: number[]): Promise<ProductReconciliation[]> {
      const results: ProductReconciliation[] = [];
      for (const productId of productIds) {
        const result = await reconcileProduct(productId);
        if (result) results.push(result);
      }
      return results;
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
