/**
 * What both versions of the `packOrder` workflow, and the test that deploys
 * one after the other, agree on. v2 changes how an order is wrapped: new
 * executions wrap it as a gift, executions v1 started keep their plain wrap.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** Names the change in the workflow history (a marker), so replays know which path an execution took. */
export const GIFT_WRAP_PATCH = 'gift-wrap';

/** The order may leave: until then the workflow waits, across worker deploys. */
export const shipSignal = defineSignal('ship');
/** The steps done so far. */
export const stepsQuery = defineQuery<string[]>('steps');

export interface PackingActivities {
  wrapPlainly(): Promise<string>;
  wrapAsGift(): Promise<string>;
}

export const packingActivities: PackingActivities = {
  wrapPlainly: async () => 'wrapped plainly',
  wrapAsGift: async () => 'wrapped as a gift',
};
