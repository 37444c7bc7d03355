import { patched, proxyActivities } from '@temporalio/workflow';
import type { ProductReconciliation, ReconciliationActivities } from '../activities/reconciliation';

/** Each page of products is one activity: a few Redis and PostgreSQL round trips per product. */
const { listProductIds, reconcileProduct, reconcileProducts } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

/**
 * Products per activity, and pages reconciled at once. One product per
 * activity, one after the other, the test database's 3,000 products took
 * about five minutes (a workflow task and three history events each), longer
 * than the schedule's minute, and Temporal's work grew with the catalogue.
 * Each product holds its own advisory lock, so pages do not wait for one another.
 */
const PRODUCTS_PER_PAGE = 25;
const PAGES_AT_ONCE = 4;

export interface ReconcileInput {
  /** Only these products; all of them when absent. */
  productIds?: number[];
}

/**
 * Compares Redis with PostgreSQL and open reservations for every product, and repairs drift. Reports every
 * product asked for by id; of a run over all products, those it changed (drift repaired, rebuilt, orphans
 * released): a line for each of a catalogue's products would pass Temporal's 2 MB payload limit near 25,000.
 */
export async function reconcileStock(input: ReconcileInput = {}): Promise<ProductReconciliation[]> {
  const productIds = input.productIds ?? (await listProductIds());
  const results: ProductReconciliation[] = [];
  if (patched('reconcile-in-pages')) {
    const pages = Array.from({ length: Math.ceil(productIds.length / PRODUCTS_PER_PAGE) }, (_, i) =>
      productIds.slice(i * PRODUCTS_PER_PAGE, (i + 1) * PRODUCTS_PER_PAGE),
    );
    await inLanes(pages, PAGES_AT_ONCE, async (page) => {
      results.push(...(await reconcileProducts(page)));
    });
  } else {
    // A run started before pages: one product per activity, one at a time, as it began.
    await inLanes(productIds, 1, async (productId) => {
      const result = await reconcileProduct(productId);
      if (result) results.push(result);
    });
  }
  const report = input.productIds ? results : results.filter(changedSomething);
  return report.sort((a, b) => a.productId - b.productId);
}

function changedSomething({ action, drift, orphansReleased, orphansStarted }: ProductReconciliation): boolean {
  return action === 'REBUILT' || drift !== 0 || orphansReleased > 0 || orphansStarted > 0;
}

/** Runs `work` on every item, at most `lanes` at a time, in order of start. */
async function inLanes<T>(items: T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}
