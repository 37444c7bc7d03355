/**
 * reconcileStock as released before reconciliation went by pages (8cec8b9): one
 * product per activity, one after the other. Its histories must replay on the
 * current src/workflows (test/reconciliation.test.ts).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ProductReconciliation, ReconciliationActivities } from '../../src/activities/reconciliation';
import type { ReconcileInput } from '../../src/workflows/reconcile';

const { listProductIds, reconcileProduct } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

export async function reconcileStock(input: ReconcileInput = {}): Promise<ProductReconciliation[]> {
  const productIds = input.productIds ?? (await listProductIds());
  const results: ProductReconciliation[] = [];
  for (const productId of productIds) {
    const result = await reconcileProduct(productId);
    if (result) results.push(result);
  }
  return results;
}
