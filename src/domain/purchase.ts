/** What buyers, the API and the workflow agree a purchase is. Pure types and rules. */

export const PURCHASE_STATUSES = ['PENDING', 'CONFIRMED', 'REJECTED', 'FAILED'] as const;
export type PurchaseStatus = (typeof PURCHASE_STATUSES)[number];

/** Why a purchase was turned down: these are also the API's 409 error codes. */
export type RejectionReason = 'SOLD_OUT' | 'INSUFFICIENT_STOCK' | 'PURCHASE_LIMIT' | 'PRODUCT_NOT_FOUND';

export interface PurchaseRequest {
  trackingId: string;
  userId: string;
  productId: number;
  quantity: number;
}

export interface PurchaseOutcome {
  trackingId: string;
  status: PurchaseStatus;
  productId: number;
  quantity: number;
  orderId?: number;
  /** Why it was not confirmed; FAILED ones may be retried by the buyer. */
  reason?: RejectionReason | 'COMMIT_FAILED' | 'STOCK_UNAVAILABLE';
}

/** Operators paste a tracking id into the Temporal Web UI: the workflow id is derived from it. */
export function workflowIdFor(trackingId: string): string {
  return `purchase-${trackingId}`;
}
