/** Who arrives when and how they buy: a deterministic plan from the options and a seed. */
import type { SaleOptions, Shape } from './options';

export type Pattern = 'sync' | 'async';

export interface BuyerPlan {
  userId: string;
  /** Milliseconds after the sale opens, already compressed by --speed. */
  arrivalMs: number;
  pattern: Pattern;
  /** Sends its purchase twice with one Idempotency-Key. */
  retries: boolean;
  /** Buys again once the first purchase is settled. */
  triesTwice: boolean;
}

/** mulberry32: a tiny seeded generator, so that a seed replays the same sale. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Arrival of buyer i of n: all at once, evenly spread, or at a rate rising linearly from zero. */
function arrival(shape: Shape, i: number, n: number, lengthMs: number): number {
  const position = n > 1 ? i / (n - 1) : 0;
  if (shape === 'burst') return 0;
  if (shape === 'uniform') return position * lengthMs;
  return Math.sqrt(position) * lengthMs;
}

export function saleLengthMs(options: Pick<SaleOptions, 'durationS' | 'speed'>): number {
  return (options.durationS * 1000) / options.speed;
}

export function planSale(options: SaleOptions, runId: string): BuyerPlan[] {
  const random = seededRandom(options.seed);
  const lengthMs = saleLengthMs(options);
  return Array.from({ length: options.buyers }, (_, i) => ({
    userId: `fs-${runId}-${i + 1}`,
    arrivalMs: arrival(options.shape, i, options.buyers, lengthMs),
    pattern: random() < options.asyncShare ? 'async' : 'sync',
    retries: random() < options.retryShare,
    triesTwice: random() < options.twiceShare,
  }));
}
