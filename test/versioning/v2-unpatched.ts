/** The same change made without `patched`: what must not be deployed while v1 executions run. */
import { proxyActivities } from '@temporalio/workflow';
import { packOrderWith } from './pack-order';
import type { PackingActivities } from './shared';

const { wrapAsGift } = proxyActivities<PackingActivities>({ startToCloseTimeout: '10 seconds' });

export async function packOrder(): Promise<string[]> {
  return packOrderWith(() => wrapAsGift());
}
