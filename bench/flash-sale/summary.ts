/** Turns a played sale into the figures and chart series that the console, the JSON and the HTML report show. */
import type { Violation } from '../../tools/lib/invariants';
import { groupBy, histogram, HISTOGRAM_BOUNDS_MS, summarize, type LatencySummary } from '../lib/stats';
import type { SaleOptions } from './options';
import type { BuyerSample, RequestSample } from './recorder';
import type { SaleRun } from './sale';

export interface BuyerTimes {
  /** From arrival to the first answer. */
  answer: LatencySummary;
  /** From arrival to a terminal status. */
  terminal: LatencySummary;
}

export interface SaleCharts {
  bucketS: number;
  /** Per bucket, in requests per second: answers to purchases by outcome, and polls. */
  rates: Record<string, number[]>;
  /** Cumulative purchases told CONFIRMED at the end of each bucket. */
  confirmed: number[];
  histogramBoundsMs: number[];
  /** `pattern outcome` → request count per latency bucket. */
  histograms: Record<string, number[]>;
  stock: { postgres: [number, number][]; redis: [number, number][]; sse: [number, number][] };
  cpu: { t: number[]; cores: Record<string, number[]> };
}

/** How the admitted purchases went, the figures a crowd must not worsen. */
export interface PurchaseFlow {
  /** Buyers who got a tracking id. */
  admitted: number;
  /** Admitted sync buyers, and those of them whose first answer was terminal (decided within SYNC_DEADLINE_MS). */
  syncAdmitted: number;
  syncSettledByAnswer: number;
  /** When the last admitted buyer knew how its purchase ended, s after the sale opened. */
  lastTerminalS?: number;
  /** The first order in PostgreSQL, s after the sale opened. */
  firstOrderS?: number;
  /** Units committed per second from the first order to the last: how fast purchases drained. */
  committedPerSecond?: number;
}

export interface SaleSummary {
  options: SaleOptions;
  url: string;
  productId: number;
  wallS: number;
  tokensS: number;
  requests: { total: number; perSecond: number; peakPerSecond: number };
  buyers: { total: number; byOutcome: Record<string, number> };
  /** Request latency by pattern (sync, async purchase; poll), and by pattern and outcome. */
  latency: Record<string, LatencySummary>;
  latencyByOutcome: Record<string, LatencySummary>;
  /** Buyer-level times by pattern, for all buyers and for those admitted (who got a tracking id). */
  buyerTimes: Record<string, BuyerTimes>;
  /** How late the simulator started buyers after their planned arrival: its own lag. */
  simulatorLagMs: LatencySummary;
  soldOutS?: number;
  lastOrderS?: number;
  purchases: PurchaseFlow;
  workflows: { temporal: number; metrics?: number; eagerly?: number; perUnitOfStock: number };
  invariants: { passed: boolean; violationCount: number; violations: Violation[] };
  cpuSeconds: Record<string, number>;
  peakRssMiB?: Record<string, number>;
  sse: { subscribers: number; unavailable?: string; delayMs?: LatencySummary };
  charts: SaleCharts;
}

/** The report keeps this many violations; the count says how many there were. */
const VIOLATIONS_KEPT = 50;
const CHART_BUCKETS = 150;

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : round(ms / 1000));

function summarizeBy<T>(items: T[], key: (item: T) => string, value: (item: T) => number) {
  const groups = [...groupBy(items, key)].sort(([a], [b]) => a.localeCompare(b));
  return Object.fromEntries(groups.map(([name, group]) => [name, summarize(group.map(value))]));
}

function buyerTimes(buyers: BuyerSample[]): Record<string, BuyerTimes> {
  const times = (group: BuyerSample[]): BuyerTimes => ({
    answer: summarize(group.map((b) => b.answerMs)),
    terminal: summarize(group.map((b) => b.terminalMs)),
  });
  const byPattern = groupBy(buyers, (b) => b.pattern);
  const admitted = groupBy(
    buyers.filter((b) => b.trackingId),
    (b) => `${b.pattern} admitted`,
  );
  return Object.fromEntries([...byPattern, ...admitted].map(([name, group]) => [name, times(group)]));
}

function bucketSeconds(wallMs: number): number {
  const quarter = 250;
  return Math.max(quarter, Math.ceil(wallMs / CHART_BUCKETS / quarter) * quarter) / 1000;
}

function rateSeries(requests: RequestSample[], bucketS: number, buckets: number): Record<string, number[]> {
  const series: Record<string, number[]> = {};
  for (const r of requests) {
    const name = r.kind === 'poll' ? 'polls' : r.outcome;
    series[name] ??= new Array<number>(buckets).fill(0);
    const bucket = Math.min(buckets - 1, Math.floor((r.t + r.ms) / 1000 / bucketS));
    series[name][bucket] += 1 / bucketS;
  }
  return series;
}

function cumulative(times: number[], bucketS: number, buckets: number): number[] {
  const counts = new Array<number>(buckets).fill(0);
  for (const t of times) counts[Math.min(buckets - 1, Math.floor(t / 1000 / bucketS))] += 1;
  for (let i = 1; i < buckets; i += 1) counts[i] += counts[i - 1];
  return counts;
}

function charts(run: SaleRun): SaleCharts {
  const { recorder, stock, subscribers, cpu } = run;
  const bucketS = bucketSeconds(run.wallMs);
  const buckets = Math.max(1, Math.ceil(run.wallMs / 1000 / bucketS));
  const histograms = groupBy(recorder.requests, (r) => `${r.pattern} ${r.outcome}`);
  const groups = [...new Set(cpu.samples.flatMap((s) => Object.keys(s.cores)))];
  return {
    bucketS,
    rates: rateSeries(recorder.requests, bucketS, buckets),
    confirmed: cumulative(recorder.confirmations, bucketS, buckets),
    histogramBoundsMs: HISTOGRAM_BOUNDS_MS,
    histograms: Object.fromEntries([...histograms].map(([name, group]) => [name, histogram(group.map((r) => r.ms))])),
    stock: {
      postgres: stock.samples.map((s) => [round(s.t / 1000), s.postgres]),
      redis: stock.samples.map((s) => [round(s.t / 1000), s.redis]),
      sse: subscribers.events.map((e) => [round(e.t / 1000), e.available]),
    },
    cpu: {
      t: cpu.samples.map((s) => round(s.t, 1)),
      cores: Object.fromEntries(groups.map((g) => [g, cpu.samples.map((s) => round(s.cores[g] ?? 0, 2))])),
    },
  };
}

/** Requests answered per second, at the busiest second. */
function peakPerSecond(requests: RequestSample[]): number {
  const perSecond = new Map<number, number>();
  for (const r of requests) {
    const second = Math.floor((r.t + r.ms) / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  return Math.max(0, ...perSecond.values());
}

function purchaseFlow(run: SaleRun, lastOrderS: number | undefined): PurchaseFlow {
  const admitted = run.recorder.buyers.filter((b) => b.trackingId);
  const sync = admitted.filter((b) => b.pattern === 'sync');
  const firstOrderS = seconds(run.stock.samples.find((s) => s.postgres < run.options.stock)?.t);
  const committed = run.options.stock - run.invariants.pgStock;
  const drainS = lastOrderS !== undefined && firstOrderS !== undefined ? lastOrderS - firstOrderS : 0;
  return {
    admitted: admitted.length,
    syncAdmitted: sync.length,
    syncSettledByAnswer: sync.filter((b) => b.settledByAnswer).length,
    lastTerminalS: admitted.length
      ? seconds(admitted.reduce((last, b) => Math.max(last, b.arrivalMs + b.terminalMs), 0))
      : undefined,
    firstOrderS,
    committedPerSecond: drainS > 0 ? round(committed / drainS, 1) : undefined,
  };
}

export function summarizeSale(run: SaleRun): SaleSummary {
  const { recorder, stock, invariants, options } = run;
  const violations = [...invariants.violations, ...run.clientViolations];
  const finalStock = invariants.pgStock;
  const lastOrderS = seconds(stock.samples.find((s) => s.postgres === finalStock)?.t);
  return {
    options,
    url: run.url,
    productId: run.productId,
    wallS: round(run.wallMs / 1000),
    tokensS: round(run.tokensMs / 1000),
    requests: {
      total: recorder.requests.length,
      perSecond: round(recorder.requests.length / (run.wallMs / 1000), 1),
      peakPerSecond: peakPerSecond(recorder.requests),
    },
    buyers: {
      total: recorder.buyers.length,
      byOutcome: Object.fromEntries([...groupBy(recorder.buyers, (b) => b.outcome)].map(([k, v]) => [k, v.length])),
    },
    latency: summarizeBy(
      recorder.requests,
      (r) => r.pattern,
      (r) => r.ms,
    ),
    latencyByOutcome: summarizeBy(
      recorder.requests,
      (r) => `${r.pattern} ${r.outcome}`,
      (r) => r.ms,
    ),
    buyerTimes: buyerTimes(recorder.buyers),
    simulatorLagMs: summarize(recorder.buyers.map((b) => b.lagMs)),
    soldOutS: seconds(stock.samples.find((s) => s.redis === 0)?.t),
    lastOrderS,
    purchases: purchaseFlow(run, lastOrderS),
    workflows: {
      ...run.workflows,
      perUnitOfStock: options.stock ? round(run.workflows.temporal / options.stock) : Number.NaN,
    },
    invariants: {
      passed: violations.length === 0,
      violationCount: violations.length,
      violations: violations.slice(0, VIOLATIONS_KEPT),
    },
    cpuSeconds: Object.fromEntries(Object.entries(run.cpu.totals).map(([g, s]) => [g, round(s, 1)])),
    peakRssMiB: run.peakRssMiB,
    sse: {
      subscribers: options.sseSubscribers,
      unavailable: run.subscribers.unavailable,
      delayMs: run.subscribers.delaysMs.length ? summarize(run.subscribers.delaysMs) : undefined,
    },
    charts: charts(run),
  };
}
