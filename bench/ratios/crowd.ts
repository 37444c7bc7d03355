/**
 * What a crowd costs the buyers who get stock: the same units sold to exactly
 * as many buyers as there are units, then to a crowd thirty times larger, with
 * the same requests in flight (all buyers arrive at once). The crowd's extra
 * buyers only meet SOLD_OUT, so everything it adds is the cost of refusing them.
 */
import { playSale } from '../flash-sale/play';
import type { SaleSummary } from '../flash-sale/summary';
import { count, ratio, type Table } from '../lib/table';

export interface CrowdOptions {
  stock: number;
  /** The crowd's size; the other sale has `stock` buyers. */
  crowd: number;
  /** Requests in flight: the simulator's keep-alive connections. */
  inFlight: number;
}

interface SaleFigures {
  buyers: number;
  admitted: number;
  lastTerminalS?: number;
  lastOrderS?: number;
  syncAdmitted: number;
  syncSettledByAnswer: number;
  committedPerSecond?: number;
  invariantsHold: boolean;
}

export interface CrowdReport {
  options: CrowdOptions;
  exact: SaleFigures;
  crowd: SaleFigures;
  /** Crowd ÷ exact: time until the last admitted buyer knew the end (aim ≤ 1.3). */
  lastTerminalRatio: number;
}

function figures(sale: SaleSummary): SaleFigures {
  const { purchases } = sale;
  return {
    buyers: sale.buyers.total,
    admitted: purchases.admitted,
    lastTerminalS: purchases.lastTerminalS,
    lastOrderS: sale.lastOrderS,
    syncAdmitted: purchases.syncAdmitted,
    syncSettledByAnswer: purchases.syncSettledByAnswer,
    committedPerSecond: purchases.committedPerSecond,
    invariantsHold: sale.invariants.passed,
  };
}

/** Plays both sales on an API and a worker of their own; `stamp` names their reports. */
export async function measureCrowd(options: CrowdOptions, stamp: string): Promise<CrowdReport> {
  const play = async (buyers: number, name: string) => {
    const values = {
      buyers: String(buyers),
      stock: String(options.stock),
      connections: String(options.inFlight),
      shape: 'burst',
      spawn: true,
    };
    return figures((await playSale(values, `${stamp}-${name}`)).summary);
  };
  const exact = await play(options.stock, 'exact');
  const crowd = await play(options.crowd, 'crowd');
  return {
    options,
    exact,
    crowd,
    lastTerminalRatio: (crowd.lastTerminalS ?? Number.NaN) / (exact.lastTerminalS ?? Number.NaN),
  };
}

const seconds = (value: number | undefined) => (value === undefined ? '-' : `${value.toFixed(1)} s`);
const share = (f: SaleFigures) =>
  f.syncAdmitted ? `${((100 * f.syncSettledByAnswer) / f.syncAdmitted).toFixed(0)}% (${f.syncSettledByAnswer})` : '-';

export function crowdTable(report: CrowdReport): Table {
  const { options: o } = report;
  const row = (name: string, f: SaleFigures) => [
    name,
    count(f.buyers),
    count(f.admitted),
    seconds(f.lastOrderS),
    seconds(f.lastTerminalS),
    f.committedPerSecond === undefined ? '-' : f.committedPerSecond.toFixed(1),
    `${share(f)} of ${count(f.syncAdmitted)}`,
    f.invariantsHold ? 'hold' : 'BROKEN',
  ];
  return {
    title: `7. ${count(o.stock)} units to ${count(o.crowd)} buyers vs to ${count(o.stock)}, all at once, ${o.inFlight} in flight: the crowd's last purchase ends ${ratio(report.lastTerminalRatio)} later (aim ≤ 1.30x)`,
    header: [
      'sale',
      'buyers',
      'admitted',
      'last order',
      'last buyer told',
      'committed/s',
      'sync decided in time',
      'invariants',
    ],
    rows: [row('exact', report.exact), row('crowd', report.crowd)],
  };
}
