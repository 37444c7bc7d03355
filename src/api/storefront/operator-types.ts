/**
 * What the operator JSON routes answer: shared, as types only, by the server
 * and the operator page (web/operator.ts), so that the two cannot drift.
 */

export interface ProductStock {
  id: number;
  name: string;
  price: number;
  maxPerUser: number;
  /** Units in PostgreSQL, the truth. */
  stock: number;
  /** Units Redis still lets buyers reserve; below `stock` while purchases are in flight. */
  available: number | null;
  soldUnits: number;
}

export interface RecentOrder {
  orderId: number;
  trackingId: string;
  userId: string;
  quantity: number;
  createdAt: string;
  /** The purchase's workflow in the Temporal Web UI. */
  workflowUrl: string;
}
