import { proxyActivities } from '@temporalio/workflow';
import type { ProductReconciliation, ReconciliationActivities } from '../activities/reconciliation';

/** Each product is one activity: a few Redis and PostgreSQL round trips and, for orphans, describes. */
const { listProductIds, reconcileProduct } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

export interface ReconcileInput {
  /** Only these products; all of them when absent. */
  productIds?: number[];
}

/** Compares Redis with PostgreSQL and open reservations for every product, and repairs drift. */
export async function reconcileStock(input: ReconcileInput = {}): Promise<ProductReconciliation[]> {
  const productIds = input.productIds ?? (await listProductIds());
  const results: ProductReconciliation[] = [];
  for (const productId of productIds) {
    const result = await reconcileProduct(productId);
    if (result) results.push(result);
  }
  return results;
}
