/**
 * The business metrics, counted by the activity that commits an order, once
 * the order is in PostgreSQL. A worker exports them through the Temporal SDK's
 * meter (its Prometheus endpoint, beside the SDK's own metrics); an API that
 * runs its purchases (EAGER_START) through its own /metrics (src/api/metrics.ts).
 * The same names either way, so a query sums both.
 *
 * How they relate to the truth (orders in PostgreSQL): an order is counted
 * only by the commit that inserted it, never by a retry that finds it, so the
 * counters never count an order twice. A process that dies between its COMMIT
 * and the count misses that order, and a restart starts its counters at zero
 * (Prometheus' rate() and increase() handle the reset): the counters are
 * rates to watch, and the operator report's SQL is the exact figure.
 *
 * Cardinality: `pattern` is sync, async or unknown (a purchase started by an
 * API that did not say). `productId` takes one value per product that sells in
 * this process; a flash sale puts a handful of products on sale, and products
 * are created by administrators only, so the catalog bounds it.
 */
import type { MetricMeter } from '@temporalio/common';
import type { PurchaseRequest } from '../domain/purchase';
import type { Sale } from './commit-order';

type Labels<K extends string> = Record<K, string>;

export interface SalesMetrics {
  orders: { add(value: number, labels: Labels<'pattern'>): void };
  revenueCents: { add(value: number, labels: Labels<'pattern'>): void };
  unitsSold: { add(value: number, labels: Labels<'productId'>): void };
  sellThroughSeconds: { set(value: number, labels: Labels<'productId'>): void };
}

/** Name and help of each metric, shared by both exporters (counters get `_total` from either). */
export const SALES_METRICS = {
  orders: ['pulsecart_orders', 'Orders committed to PostgreSQL, by the pattern they were bought with'],
  revenueCents: [
    'pulsecart_revenue_cents',
    'Revenue of the orders committed: unit_price × quantity, in cents, by pattern',
  ],
  unitsSold: ['pulsecart_units_sold', 'Units sold in committed orders, by product'],
  sellThroughSeconds: [
    'pulsecart_sell_through_seconds',
    "From a product's first order to the order that took its last unit, set when it sells out",
  ],
} as const;

/** The worker's: through the SDK's meter (Runtime.instance().metricMeter). */
export function sdkSalesMetrics(meter: MetricMeter): SalesMetrics {
  const { orders, revenueCents, unitsSold, sellThroughSeconds } = SALES_METRICS;
  return {
    orders: meter.createCounter(orders[0], 'orders', orders[1]),
    revenueCents: meter.createCounter(revenueCents[0], 'cents', revenueCents[1]),
    unitsSold: meter.createCounter(unitsSold[0], 'units', unitsSold[1]),
    sellThroughSeconds: meter.createGauge(sellThroughSeconds[0], 'float', 'seconds', sellThroughSeconds[1]),
  };
}

export function countSale(metrics: SalesMetrics, request: PurchaseRequest, sale: Sale): void {
  const pattern = request.pattern ?? 'unknown';
  const productId = String(request.productId);
  metrics.orders.add(1, { pattern });
  metrics.revenueCents.add(sale.revenueCents, { pattern });
  metrics.unitsSold.add(request.quantity, { productId });
  if (sale.sellThroughSeconds !== undefined) metrics.sellThroughSeconds.set(sale.sellThroughSeconds, { productId });
}
