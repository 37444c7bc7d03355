/** packOrder as first deployed. */
import { proxyActivities } from '@temporalio/workflow';
import { packOrderWith } from './pack-order';
import type { PackingActivities } from './shared';

const { wrapPlainly } = proxyActivities<PackingActivities>({ startToCloseTimeout: '10 seconds' });

export async function packOrder(): Promise<string[]> {
  return packOrderWith(() => wrapPlainly());
}
