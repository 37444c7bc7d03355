import { ApplicationFailure } from '@temporalio/activity';
import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '../clients/postgres';
import type { PurchaseRequest } from '../domain/purchase';

export interface CommittedOrder {
  orderId: number;
}

/**
 * Records the order and takes the stock in one PostgreSQL transaction.
 * The database is the truth: `stock_quantity >= quantity` in the UPDATE means
 * it can never go below zero whatever Redis says. Idempotent on tracking_id:
 * a retry after a lost reply finds the order and takes nothing twice.
 */
export async function commitOrder(pool: Pool, request: PurchaseRequest): Promise<CommittedOrder> {
  const orderId = await inTransaction(pool, (client) => insertOrder(client, request)).catch(refuseForGood);
  return orderId === undefined ? existingOrder(pool, request) : { orderId };
}

async function insertOrder(client: PoolClient, request: PurchaseRequest): Promise<number | undefined> {
  const inserted = await client.query<{ id: number }>(
    `INSERT INTO orders (tracking_id, user_id, product_id, quantity, unit_price)
       SELECT $1, $2, p.id, $4, p.price FROM product p WHERE p.id = $3
       ON CONFLICT (tracking_id) DO NOTHING
       RETURNING id`,
    [request.trackingId, request.userId, request.productId, request.quantity],
  );
  if (inserted.rowCount === 0) return undefined;
  const taken = await client.query(
    `UPDATE product SET stock_quantity = stock_quantity - $2, updated_at = now()
       WHERE id = $1 AND stock_quantity >= $2`,
    [request.productId, request.quantity],
  );
  if (taken.rowCount === 0) {
    throw ApplicationFailure.nonRetryable('Not enough stock in the database', 'INSUFFICIENT_STOCK');
  }
  return inserted.rows[0].id;
}

/**
 * PostgreSQL's data exceptions (class 22) and integrity violations (class 23)
 * answer the same on every retry: fail for good so the workflow compensates
 * now. Anything else (connection refused, timeouts) is retried.
 */
function refuseForGood(err: unknown): never {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^2[23]/.test(code)) {
    throw ApplicationFailure.nonRetryable(
      `The database refused the order: ${(err as Error).message}`,
      'COMMIT_REFUSED',
    );
  }
  throw err;
}

/** Nothing was inserted: either this purchase was recorded before, or the product is gone. */
async function existingOrder(pool: Pool, request: PurchaseRequest): Promise<CommittedOrder> {
  const found = await pool.query<{ id: number }>('SELECT id FROM orders WHERE tracking_id = $1', [request.trackingId]);
  if (found.rowCount === 0) {
    throw ApplicationFailure.nonRetryable(`Product ${request.productId} does not exist`, 'PRODUCT_NOT_FOUND');
  }
  return { orderId: found.rows[0].id };
}
