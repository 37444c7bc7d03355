import { patched, proxyActivities } from '@temporalio/workflow';
import type { ProductReconciliation, ReconciliationActivities } from '../activities/reconciliation';

/** Each product is one activity: a few Redis and PostgreSQL round trips and, for orphans, describes. */
const { listProductIds, reconcileProduct } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

/**
 * Products reconciled at once. One after the other, a catalogue of 3,000
 * products took five minutes (a workflow task and an activity per product),
 * longer than the schedule's minute. Each product holds its own advisory lock,
 * so they do not wait for one another.
 */
const PRODUCTS_AT_ONCE = 8;

export interface ReconcileInput {
  /** Only these products; all of them when absent. */
  productIds?: number[];
}

/** Compares Redis with PostgreSQL and open reservations for every product, and repairs drift. */
export async function reconcileStock(input: ReconcileInput = {}): Promise<ProductReconciliation[]> {
  const productIds = input.productIds ?? (await listProductIds());
  // A run started before this change reconciled one product at a time: it replays as one lane.
  const lanes = patched('reconcile-products-at-once') ? PRODUCTS_AT_ONCE : 1;
  const results: ProductReconciliation[] = [];
  let next = 0;
  const lane = async () => {
    while (next < productIds.length) {
      const result = await reconcileProduct(productIds[next++]);
      if (result) results.push(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, productIds.length) }, lane));
  return results.sort((a, b) => a.productId - b.productId);
}
