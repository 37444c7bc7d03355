/** The sale's figures as tables, for the console and the HTML report alike. */
import type { LatencySummary } from '../lib/stats';
import { count, ms, type Table } from '../lib/table';
import type { SaleSummary } from './summary';

const LATENCY_HEADER = ['count', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'];
const latencyCells = (s: LatencySummary) => [count(s.count), ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)];
const optional = (value: number | undefined, unit: string) => (value === undefined ? '-' : `${value} ${unit}`);

function overview(summary: SaleSummary): Table {
  const { options: o, workflows, invariants } = summary;
  return {
    title: `Flash sale: ${count(o.buyers)} buyers, ${count(o.stock)} units, ${o.durationS} s at speed ${o.speed} (${o.shape}), ${summary.url}`,
    header: ['figure', 'value'],
    rows: [
      ['wall time', `${summary.wallS.toFixed(1)} s`],
      ['requests', count(summary.requests.total)],
      [
        'requests/s (mean, peak second)',
        `${count(summary.requests.perSecond)}, ${count(summary.requests.peakPerSecond)}`,
      ],
      ['sold out in Redis at', optional(summary.soldOutS, 's')],
      ['last order in PostgreSQL at', optional(summary.lastOrderS, 's')],
      ['units committed per second (first order to last)', optional(summary.purchases.committedPerSecond, '/s')],
      ['last admitted buyer told the end at', optional(summary.purchases.lastTerminalS, 's')],
      ['admitted sync buyers decided within the deadline', syncInTime(summary.purchases)],
      ['workflows started (Temporal)', count(workflows.temporal)],
      ['workflows started (API /metrics)', workflows.metrics === undefined ? '-' : count(workflows.metrics)],
      ['of those, started eagerly on the API', workflows.eagerly === undefined ? '-' : count(workflows.eagerly)],
      ['workflows per unit of stock', workflows.perUnitOfStock.toFixed(3)],
      ['simulator lag p99', `${ms(summary.simulatorLagMs.p99)} ms`],
      ['SSE', sseFigure(summary)],
      ['invariants', invariants.passed ? 'all hold' : `${invariants.violationCount} violations`],
    ],
  };
}

function syncInTime({ syncAdmitted, syncSettledByAnswer }: SaleSummary['purchases']): string {
  if (!syncAdmitted) return '-';
  return `${count(syncSettledByAnswer)} of ${count(syncAdmitted)} (${((100 * syncSettledByAnswer) / syncAdmitted).toFixed(0)}%)`;
}

function sseFigure({ sse }: SaleSummary): string {
  if (sse.subscribers === 0) return 'no subscribers';
  if (sse.unavailable) return `unavailable: ${sse.unavailable}`;
  if (!sse.delayMs) return `${sse.subscribers} subscribers, no events`;
  return `${sse.subscribers} subscribers, event delay p50 ${ms(sse.delayMs.p50)} ms, p99 ${ms(sse.delayMs.p99)} ms`;
}

function cpu(summary: SaleSummary): Table {
  const total = Object.values(summary.cpuSeconds).reduce((sum, s) => sum + s, 0);
  return {
    title: `CPU during the sale: ${(total / summary.wallS).toFixed(2)} cores busy on average`,
    header: ['process', 'CPU s', 'share', 'cores', 'µs per request'],
    rows: Object.entries(summary.cpuSeconds)
      .sort(([, a], [, b]) => b - a)
      .map(([name, s]) => [
        name,
        s.toFixed(1),
        `${((100 * s) / total).toFixed(0)}%`,
        (s / summary.wallS).toFixed(2),
        ((s / summary.requests.total) * 1e6).toFixed(0),
      ]),
  };
}

export function buyerTimesTable(summary: SaleSummary, title: string): Table {
  return {
    title,
    header: ['buyers', 'count', 'answer p50', 'answer p99', 'terminal p50', 'terminal p99'],
    rows: Object.entries(summary.buyerTimes).map(([name, t]) => [
      name,
      count(t.answer.count),
      ms(t.answer.p50),
      ms(t.answer.p99),
      ms(t.terminal.p50),
      ms(t.terminal.p99),
    ]),
  };
}

export function peakRssTable(summary: SaleSummary, title: string): Table {
  return {
    title,
    header: ['process', 'MiB'],
    rows: Object.entries(summary.peakRssMiB ?? {}).map(([name, mib]) => [name, mib.toFixed(0)]),
  };
}

export function saleTables(summary: SaleSummary): Table[] {
  const tables: Table[] = [
    overview(summary),
    {
      title: 'Request latency by pattern',
      header: ['pattern', ...LATENCY_HEADER],
      rows: Object.entries(summary.latency).map(([name, s]) => [name, ...latencyCells(s)]),
    },
    {
      title: 'Request latency by pattern and outcome',
      header: ['pattern outcome', ...LATENCY_HEADER],
      rows: Object.entries(summary.latencyByOutcome).map(([name, s]) => [name, ...latencyCells(s)]),
    },
    buyerTimesTable(summary, 'Buyers: ms from arrival to the first answer, and to a terminal status'),
    {
      title: 'Buyers by outcome',
      header: ['outcome', 'buyers'],
      rows: Object.entries(summary.buyers.byOutcome).map(([name, n]) => [name, count(n)]),
    },
    cpu(summary),
  ];
  if (summary.peakRssMiB) tables.push(peakRssTable(summary, 'Peak RSS (VmHWM)'));
  if (!summary.invariants.passed) {
    tables.push({
      title: `Invariant violations (${summary.invariants.violationCount})`,
      header: ['invariant', 'what'],
      rows: summary.invariants.violations.map((v) => [String(v.invariant), v.message]),
    });
  }
  return tables;
}
