/**
 * The invariants from the buyers' side: what they were told must agree with
 * the state at rest, and an Idempotency-Key must always mean one purchase.
 */
import { isTerminal, type InvariantReport, type Violation } from '../../tools/lib/invariants';
import type { SaleRecorder } from './recorder';

export function clientViolations(recorder: SaleRecorder, atRest: InvariantReport, stock: number): Violation[] {
  const violations: Violation[] = [];
  const fail = (invariant: number, message: string) => violations.push({ invariant, message });

  if (recorder.confirmations.length > stock)
    fail(1, `${recorder.confirmations.length} purchases were told CONFIRMED for ${stock} units`);

  for (const [trackingId, told] of recorder.told) {
    const final = atRest.statuses.get(trackingId);
    const said = [...told].join(', ');
    if (told.size > 1) fail(4, `${trackingId}: buyers were told ${said}`);
    else if (!told.has(final ?? '') && isTerminal(final)) fail(4, `${trackingId}: told ${said}, ${final} at rest`);
    else if (!isTerminal([...told][0])) fail(4, `${trackingId}: the buyer never saw it settle (${said})`);
  }

  for (const [key, trackingIds] of recorder.keyAnswers) {
    if (trackingIds.size > 1) fail(5, `Idempotency-Key ${key} answered with ${[...trackingIds].join(', ')}`);
  }
  return violations;
}
