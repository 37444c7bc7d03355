import { createHash, randomUUID } from 'node:crypto';

/**
 * A purchase's tracking id. With an Idempotency-Key it is derived from the
 * buyer and the key alone, so that every request with that key lands on the
 * same workflow (`purchase-<trackingId>`): the same body gets that purchase's
 * answer, another body is refused (IDEMPOTENCY_KEY_REUSED), and neither makes
 * a second order.
 */
export function trackingIdFor(userId: string, idempotencyKey?: string): string {
  if (!idempotencyKey) return randomUUID();
  const hex = createHash('sha256')
    .update(JSON.stringify([userId, idempotencyKey]))
    .digest('hex');
  // Shaped as an RFC 4122 version-5-style UUID so that it fits the orders.tracking_id column.
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
