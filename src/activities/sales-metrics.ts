/**
 * The business metrics a worker exports through the Temporal SDK's meter (its
 * Prometheus endpoint, beside the SDK's own metrics), counted by the activity
 * that commits an order, once the order is in PostgreSQL.
 *
 * How they relate to the truth (orders in PostgreSQL): an order is counted
 * only by the commit that inserted it, never by a retry that finds it, so the
 * counters never count an order twice. A worker that dies between its COMMIT
 * and the count misses that order, and a restart starts its counters at zero
 * (Prometheus' rate() and increase() handle the reset): the counters are
 * rates to watch, and the operator report's SQL is the exact figure.
 *
 * Cardinality: `pattern` is sync, async or unknown (a purchase started by an
 * API that did not say). `productId` takes one value per product that sells on
 * this worker; a flash sale puts a handful of products on sale, and products
 * are created by administrators only, so the catalog bounds it. The SDK adds
 * activityType, namespace and taskQueue (one value each in production).
 */
import { metricMeter } from '@temporalio/activity';
import type { PurchaseRequest } from '../domain/purchase';
import type { Sale } from './commit-order';

export function countSale(request: PurchaseRequest, sale: Sale): void {
  const pattern = request.pattern ?? 'unknown';
  const productId = String(request.productId);
  metricMeter
    .createCounter('pulsecart_orders', 'orders', 'Orders committed to PostgreSQL, by the pattern they were bought with')
    .add(1, { pattern });
  metricMeter
    .createCounter(
      'pulsecart_revenue_cents',
      'cents',
      'Revenue of the orders committed: unit_price × quantity, in cents, by pattern',
    )
    .add(sale.revenueCents, { pattern });
  metricMeter
    .createCounter('pulsecart_units_sold', 'units', 'Units sold in committed orders, by product')
    .add(request.quantity, { productId });
  if (sale.sellThroughSeconds === undefined) return;
  metricMeter
    .createGauge(
      'pulsecart_sell_through_seconds',
      'float',
      'seconds',
      "From a product's first order to the order that took its last unit, set when it sells out",
    )
    .set(sale.sellThroughSeconds, { productId });
}
