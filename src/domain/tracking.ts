import { createHash, randomUUID } from 'node:crypto';

/**
 * A purchase's tracking id. With an Idempotency-Key it is derived from the
 * buyer, the key and the request, so a repeat of the same request lands on the
 * same workflow (`purchase-<trackingId>`) and never makes a second order; the
 * same key with a different request is a different purchase.
 */
export function trackingIdFor(
  request: { userId: string; productId: number; quantity: number },
  idempotencyKey?: string,
): string {
  if (!idempotencyKey) return randomUUID();
  const hex = createHash('sha256')
    .update(JSON.stringify([request.userId, idempotencyKey, request.productId, request.quantity]))
    .digest('hex');
  // Shaped as an RFC 4122 version-5-style UUID so that it fits the orders.tracking_id column.
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
