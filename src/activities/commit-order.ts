/**
 * The purchase's PostgreSQL side: the commit that records the order and takes
 * the stock, and the void that fences it off for good when the purchase is
 * compensated. PostgreSQL is the truth for stock and for the per-buyer limit.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '../clients/postgres';
import type { PurchaseRequest } from '../domain/purchase';

export interface CommittedOrder {
  orderId: number;
  /** Only when this call recorded the order: a retry that finds it sold nothing new. */
  sale?: Sale;
}

/** What one new order sold, read inside its transaction: the business metrics count it once it commits. */
export interface Sale {
  /** unit_price × quantity in cents, exact (NUMERIC(10,2) in PostgreSQL). */
  revenueCents: number;
  /** When this order took the last unit: seconds from the product's first order to this one. */
  sellThroughSeconds?: number;
}

/**
 * Records the order and takes the stock in one transaction. `stock_quantity >=
 * quantity` in the UPDATE means stock never goes below zero whatever Redis
 * says; the buyer's ordered units are summed under the product's row lock, so
 * no interleaving takes a buyer past `max_per_user`. Idempotent on
 * tracking_id: a retry after a lost reply finds the order and takes nothing
 * twice. Aborting `signal` (the activity was cancelled) rolls it back.
 */
export async function commitOrder(pool: Pool, request: PurchaseRequest, signal?: AbortSignal): Promise<CommittedOrder> {
  const order = await inTransaction(pool, (client) => insertOrder(client, request), signal).catch(refuseForGood);
  return order ?? existingOrder(pool, request);
}

async function insertOrder(
  client: PoolClient,
  request: PurchaseRequest,
): Promise<Required<CommittedOrder> | undefined> {
  const inserted = await client.query<{ id: number; revenueCents: number }>(
    `INSERT INTO orders (tracking_id, user_id, product_id, quantity, unit_price)
       SELECT $1, $2, p.id, $4, p.price FROM product p WHERE p.id = $3
       ON CONFLICT (tracking_id) DO NOTHING
       RETURNING id, (unit_price * quantity * 100)::int AS "revenueCents"`,
    [request.trackingId, request.userId, request.productId, request.quantity],
  );
  if (inserted.rowCount === 0) return undefined;
  // Takes the product's row lock: every statement after it sees every order committed before it.
  const taken = await client.query<{ maxPerUser: number; stockLeft: number }>(
    `UPDATE product SET stock_quantity = stock_quantity - $2, updated_at = now()
       WHERE id = $1 AND stock_quantity >= $2
       RETURNING max_per_user AS "maxPerUser", stock_quantity AS "stockLeft"`,
    [request.productId, request.quantity],
  );
  if (taken.rowCount === 0) refuse('INSUFFICIENT_STOCK', 'Not enough stock in the database');
  const { rows } = await client.query<{ ordered: number; voided: boolean }>(
    `SELECT (SELECT COALESCE(SUM(quantity), 0)::int FROM orders WHERE product_id = $1 AND user_id = $2) AS ordered,
            EXISTS (SELECT 1 FROM purchase_voids WHERE tracking_id = $3) AS voided`,
    [request.productId, request.userId, request.trackingId],
  );
  if (rows[0].voided) refuse('PURCHASE_VOIDED', 'The purchase was given up before this commit');
  if (rows[0].ordered > taken.rows[0].maxPerUser)
    refuse('PURCHASE_LIMIT', 'The buyer would exceed the per-buyer limit');
  const { id: orderId, revenueCents } = inserted.rows[0];
  const { stockLeft } = taken.rows[0];
  const sellThroughSeconds = stockLeft === 0 ? await sellThrough(client, request) : undefined;
  return { orderId, sale: { revenueCents, sellThroughSeconds } };
}

/**
 * The sale's length, from its first order to its last. The new order's created_at is now(), this transaction's
 * start; an order of a transaction that started later but committed first (this one waited for the product row
 * lock) is later still, and visible here: the latest of them ends the sale.
 */
async function sellThrough(client: PoolClient, request: PurchaseRequest): Promise<number> {
  const { rows } = await client.query<{ seconds: number }>(
    `SELECT EXTRACT(EPOCH FROM GREATEST(now(), MAX(created_at)) - MIN(created_at))::float8 AS seconds
       FROM orders WHERE product_id = $1`,
    [request.productId],
  );
  return rows[0].seconds;
}

function refuse(type: string, message: string): never {
  throw ApplicationFailure.nonRetryable(message, type);
}

/**
 * PostgreSQL's data exceptions (class 22) and integrity violations (class 23)
 * answer the same on every retry: fail for good so the workflow compensates
 * now. Anything else (connection refused, timeouts) is retried.
 */
function refuseForGood(err: unknown): never {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^2[23]/.test(code)) {
    refuse('COMMIT_REFUSED', `The database refused the order: ${(err as Error).message}`);
  }
  throw err;
}

/** Nothing was inserted: either this purchase was recorded before, or the product is gone. */
async function existingOrder(pool: Pool, request: PurchaseRequest): Promise<CommittedOrder> {
  const found = await findOrder(pool, request.trackingId);
  if (!found) refuse('PRODUCT_NOT_FOUND', `Product ${request.productId} does not exist`);
  return found;
}

async function findOrder(db: Pool | PoolClient, trackingId: string): Promise<CommittedOrder | undefined> {
  const found = await db.query<{ id: number }>('SELECT id FROM orders WHERE tracking_id = $1', [trackingId]);
  return found.rowCount === 0 ? undefined : { orderId: found.rows[0].id };
}

/**
 * Gives a purchase up for good, unless its order exists: then that order is
 * returned and nothing is voided. Under the product's row lock, so a commit
 * still running either finished before (its order is found) or sees the void
 * and rolls back. Idempotent.
 */
export async function voidPurchase(pool: Pool, request: PurchaseRequest): Promise<CommittedOrder | undefined> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT 1 FROM product WHERE id = $1 FOR UPDATE', [request.productId]);
    const order = await findOrder(client, request.trackingId);
    if (order) return order;
    await client.query('INSERT INTO purchase_voids (tracking_id) VALUES ($1) ON CONFLICT DO NOTHING', [
      request.trackingId,
    ]);
    return undefined;
  });
}
