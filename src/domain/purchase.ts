/** What buyers, the API and the workflow agree a purchase is. Pure types and rules. */
import type { ErrorCode } from './errors';

export const PURCHASE_STATUSES = ['PENDING', 'CONFIRMED', 'REJECTED', 'FAILED'] as const;
export type PurchaseStatus = (typeof PURCHASE_STATUSES)[number];

/** Why a purchase was turned down: these are also the API's 404/409/422 error codes. */
export const REJECTION_REASONS = [
  'SOLD_OUT',
  'INSUFFICIENT_STOCK',
  'PURCHASE_LIMIT',
  'PRODUCT_NOT_FOUND',
  'IDEMPOTENCY_KEY_REUSED',
] as const satisfies readonly ErrorCode[];
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Why a purchase failed; nothing was taken, and the buyer may retry. */
export const FAILURE_REASONS = ['COMMIT_FAILED', 'STOCK_UNAVAILABLE'] as const satisfies readonly ErrorCode[];
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** How the buyer asked: waiting for the outcome (sync) or polling for it (async). */
export type PurchasePattern = 'sync' | 'async';

export interface PurchaseRequest {
  trackingId: string;
  userId: string;
  productId: number;
  quantity: number;
  /** For the business metrics and the start's task-queue priority; absent in purchases started before it existed. */
  pattern?: PurchasePattern;
}

export interface PurchaseOutcome {
  trackingId: string;
  status: PurchaseStatus;
  productId: number;
  quantity: number;
  orderId?: number;
  /** Why it was not confirmed. */
  reason?: RejectionReason | FailureReason;
}

/** Operators paste a tracking id into the Temporal Web UI: the workflow id is derived from it. */
export function workflowIdFor(trackingId: string): string {
  return `purchase-${trackingId}`;
}
