import type { Pool, PoolClient } from 'pg';

/** Who asked for an administrator action: the token's subject, and the request's id to find its log lines. */
export interface AdminActor {
  userId: string;
  requestId: string;
}

export interface AdminAction<T extends object> {
  action: 'product.create' | 'product.restock' | 'api-key.create' | 'api-key.revoke' | 'api-key.use';
  /** NULL for actions on no one product. */
  productId: number | null;
  /** As it was; null when the action made it. */
  before: T | null;
  after: T;
}

/**
 * Writes one admin_audit_log row with the caller's client: inside the
 * transaction of the change, a change is never without its record, nor a
 * record without its change. A read changes nothing: the pool will do.
 */
export async function recordAdminAction<T extends object>(
  client: PoolClient | Pool,
  actor: AdminActor,
  { action, productId, before, after }: AdminAction<T>,
): Promise<void> {
  await client.query(
    `INSERT INTO admin_audit_log (actor, action, product_id, before, after, request_id)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [actor.userId, action, productId, before, after, actor.requestId],
  );
}
