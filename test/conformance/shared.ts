/** What the conformance workflows and the test that drives them must agree on. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';

export type ApprovalStatus = 'WAITING' | 'APPROVED';

export const approveSignal = defineSignal<[approver: string]>('approve');
export const statusQuery = defineQuery<ApprovalStatus>('status');

export const addUpdate = defineUpdate<number, [amount: number]>('add');
export const totalQuery = defineQuery<number>('total');
export const closeSignal = defineSignal('close');

/** Registered as Keyword by the dev-server launch (tools/temporal.ts); any other server must register it too. */
export const PRODUCT_ID: SearchAttributeKey<'KEYWORD'> = { name: 'ProductId', type: 'KEYWORD' };
