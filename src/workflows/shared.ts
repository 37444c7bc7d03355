/** What the API and the worker agree on about the purchase workflow. */
import { defineQuery } from '@temporalio/workflow';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import type { PurchaseStatus } from '../domain/purchase';

export const PURCHASE_WORKFLOW = 'purchase';
export const RECONCILE_WORKFLOW = 'reconcileStock';
/** The Temporal Schedule that reconciles every product every minute. */
export const RECONCILE_SCHEDULE_ID = 'reconcile-stock';

/** The purchase's status at any moment (needs a live worker; the API reads describe instead). */
export const statusQuery = defineQuery<PurchaseStatus>('status');

const keyword = (name: string): SearchAttributeKey<'KEYWORD'> => ({ name, type: 'KEYWORD' });

/** Registered on the Temporal Service at start: operators search purchases by these. */
export const ProductIdAttribute = keyword('ProductId');
export const UserIdAttribute = keyword('UserId');
export const PurchaseStatusAttribute = keyword('PurchaseStatus');
