/** Percentiles and histograms of latency samples, in milliseconds. */

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function summarize(samples: number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const values = Array.from(sorted);
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? values[values.length - 1] : Number.NaN,
    mean: values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : Number.NaN,
  };
}

/** Upper bounds of log-spaced buckets, 4 per decade from 0.1 ms to 100 s. */
export const HISTOGRAM_BOUNDS_MS: number[] = Array.from({ length: 25 }, (_, i) =>
  Number((0.1 * 10 ** (i / 4)).toPrecision(2)),
);

/** How many samples fall in each bucket of HISTOGRAM_BOUNDS_MS (the last one takes everything above). */
export function histogram(samples: number[]): number[] {
  const counts = new Array<number>(HISTOGRAM_BOUNDS_MS.length).fill(0);
  for (const sample of samples) {
    const bucket = HISTOGRAM_BOUNDS_MS.findIndex((bound) => sample <= bound);
    counts[bucket === -1 ? counts.length - 1 : bucket] += 1;
  }
  return counts;
}

/** Groups items by a key, keeping insertion order. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
