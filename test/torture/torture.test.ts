import { generateHistory } from './history';
import { closeBench, describeFailure, openBench, runHistory, type TortureBench } from './torture';

/**
 * A few fixed torture histories on every `npm test` (about a minute): each
 * mixes concurrent sync and async purchases, Idempotency-Keys reused with the
 * same and another body, restocks, reconciliations, and, in some, Redis data
 * loss and a kill -9 of the worker process. `npm run torture -- --histories N`
 * runs more; a failure prints its seed and the command that replays it.
 */
/** Chosen to cover each operation: kills with and without Redis data loss, restocks after it, keys reused. */
const SEEDS = [101, 110, 112, 115, 116, 121, 128, 129];

describe('torture: concurrent purchases, restocks, reconciliations, Redis data loss and worker crashes', () => {
  let bench: TortureBench;
  beforeAll(async () => {
    bench = await openBench();
  });
  afterAll(() => closeBench(bench));

  it.each(SEEDS)(
    'when history %i has run and healed, then every invariant holds, every answer is one the contract allows, and the product sells out to fresh buyers',
    async (seed) => {
      const result = await runHistory(bench, generateHistory(seed));
      // On failure jest shows the seed, the replay command, the history, its answers and each broken rule.
      expect(result.violations.length === 0 ? 'no violations' : describeFailure(result)).toBe('no violations');
    },
    240_000,
  );
});
