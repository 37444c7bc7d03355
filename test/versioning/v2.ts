/**
 * packOrder after the gift-wrap change. `patched` is true for an execution
 * that reaches this point on this code, and records it in its history; an
 * execution whose history passed this point without the marker (v1 wrapped
 * it) replays the old branch, so its commands stay what they were.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import { packOrderWith } from './pack-order';
import { GIFT_WRAP_PATCH, type PackingActivities } from './shared';

const { wrapPlainly, wrapAsGift } = proxyActivities<PackingActivities>({ startToCloseTimeout: '10 seconds' });

export async function packOrder(): Promise<string[]> {
  return packOrderWith(() => (patched(GIFT_WRAP_PATCH) ? wrapAsGift() : wrapPlainly()));
}
