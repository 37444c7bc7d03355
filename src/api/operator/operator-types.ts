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

/** One second of a sale in which orders committed. */
export interface SaleSecond {
  /** The second, ISO 8601. */
  at: string;
  orders: number;
  units: number;
  /** PostgreSQL's stock at the end of that second: today's stock plus the units sold after it. */
  stock: number;
}

/** A product's sale, from its orders in PostgreSQL (the truth). */
export interface SaleReport {
  productId: number;
  stock: number;
  orders: number;
  units: number;
  /** Σ unit_price × quantity, in the product's currency. */
  revenue: number;
  /** From the first order to the last, once stock is 0; null while units remain. */
  sellThroughSeconds: number | null;
  /** The newest seconds with orders, oldest first. */
  timeline: SaleSecond[];
}
