/** What the API and the worker agree on about the purchase and reconciliation workflows. */
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import type { SearchAttributePair } from '@temporalio/common';
import type { PurchaseRequest } from '../domain/purchase';

export const PURCHASE_WORKFLOW = 'purchase';
export const RECONCILE_WORKFLOW = 'reconcileStock';
/** The Temporal Schedule that reconciles every product every minute. */
export const RECONCILE_SCHEDULE_ID = 'reconcile-stock';

/**
 * Reconciliation's task queue, beside the purchases'. Apart, so that it never
 * waits behind purchases for a workflow task slot: a purchase whose local
 * activity retries holds one, and when Redis has lost a product every purchase
 * in flight retries until the rebuild, which is this queue's work.
 */
export function reconcileTaskQueue(purchaseTaskQueue: string): string {
  return `${purchaseTaskQueue}-reconcile`;
}

const keyword = (name: string): SearchAttributeKey<'KEYWORD'> => ({ name, type: 'KEYWORD' });

/** Registered on the Temporal Service at start: operators search purchases by these. */
export const ProductIdAttribute = keyword('ProductId');
export const UserIdAttribute = keyword('UserId');

/**
 * What a purchase is started with besides its input: the memo (the API's
 * idempotency check, its describe fallback and reconciliation read it) and
 * the search attributes operators and reconciliation query.
 */
export function purchaseVisibility(request: PurchaseRequest): {
  memo: Record<string, unknown>;
  typedSearchAttributes: SearchAttributePair[];
} {
  return {
    memo: { userId: request.userId, productId: request.productId, quantity: request.quantity },
    typedSearchAttributes: [
      { key: ProductIdAttribute, value: String(request.productId) },
      { key: UserIdAttribute, value: request.userId },
    ],
  };
}

/**
 * A sync buyer holds its connection until its purchase ends or SYNC_DEADLINE_MS passes; an async buyer has its
 * tracking id and reads the status when it likes. When purchases queue in the task queue (a sale admits them
 * faster than they drain), Temporal hands out the sync ones first. Task-queue priority needs the server's
 * priority matcher (`matching.useNewMatcher`, set in tools/temporal.ts and deploy/temporal/dynamicconfig.yaml);
 * a purchase without a pattern (one reconciliation starts) keeps the default, 3.
 */
const SYNC_PURCHASE_PRIORITY = { priorityKey: 1 };

/**
 * How every purchase is started, by the API or by reconciliation for one whose API stopped first: one workflow
 * per tracking id (`workflowIdFor`), ever; a second start of the same id fails with
 * WorkflowExecutionAlreadyStartedError.
 */
export function purchaseStart(request: PurchaseRequest, workflowId: string, taskQueue: string) {
  return {
    workflowId,
    taskQueue,
    args: [request] as [PurchaseRequest],
    workflowIdConflictPolicy: 'FAIL' as const,
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    ...(request.pattern === 'sync' && { priority: SYNC_PURCHASE_PRIORITY }),
    ...purchaseVisibility(request),
  };
}
