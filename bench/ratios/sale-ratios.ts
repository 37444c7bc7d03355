/** Ratios 3 to 5, read from the default sale: workflows per unit of stock, sync vs async, peak memory. */
import { buyerTimesTable, peakRssTable } from '../flash-sale/tables';
import type { SaleSummary } from '../flash-sale/summary';
import { count, ratio, type Table } from '../lib/table';

type Times = SaleSummary['buyerTimes'][string];

/** Async ÷ sync of each figure, for all buyers and for the admitted ones. */
function syncVsAsync(sale: SaleSummary) {
  const divide = (a: Times | undefined, s: Times | undefined) => ({
    answerP50: (a?.answer.p50 ?? NaN) / (s?.answer.p50 ?? NaN),
    answerP99: (a?.answer.p99 ?? NaN) / (s?.answer.p99 ?? NaN),
    terminalP50: (a?.terminal.p50 ?? NaN) / (s?.terminal.p50 ?? NaN),
    terminalP99: (a?.terminal.p99 ?? NaN) / (s?.terminal.p99 ?? NaN),
  });
  const t = sale.buyerTimes;
  return { all: divide(t.async, t.sync), admitted: divide(t['async admitted'], t['sync admitted']) };
}

export function saleRatios(sale: SaleSummary) {
  return {
    workflowsPerUnitOfStock: sale.workflows.perUnitOfStock,
    asyncOverSync: syncVsAsync(sale),
    peakRssMiB: sale.peakRssMiB,
  };
}

export function saleRatioTables(sale: SaleSummary): Table[] {
  const { workflows, options } = sale;
  const admitted = syncVsAsync(sale).admitted;
  return [
    {
      title: `3. Workflows started per unit of stock in the default sale: ${workflows.perUnitOfStock.toFixed(3)} (aim ≤ 1.2)`,
      header: ['figure', 'value'],
      rows: [
        ['units on sale', count(options.stock)],
        ['buyers', count(options.buyers)],
        ['workflows started (Temporal count)', count(workflows.temporal)],
        ['workflows started (API /metrics)', workflows.metrics === undefined ? '-' : count(workflows.metrics)],
      ],
    },
    buyerTimesTable(
      sale,
      `4. Sync vs async, ms from arrival; admitted buyers, async ÷ sync: answer p50 ${ratio(admitted.answerP50)}, terminal p50 ${ratio(admitted.terminalP50)}, terminal p99 ${ratio(admitted.terminalP99)}`,
    ),
    peakRssTable(sale, '5. Peak RSS of the API and the worker during the default sale (VmHWM)'),
  ];
}

/**
 * How fast purchases drained while the default sale's crowd arrived, against
 * how many empty workflows per second the same Temporal ran alone (step 2):
 * what is left of Temporal's capacity for the buyers who got stock.
 */
export function drainRatio(sale: SaleSummary, emptyWorkflowsPerSecond: number) {
  const committedPerSecond = sale.purchases.committedPerSecond ?? Number.NaN;
  return { committedPerSecond, emptyWorkflowsPerSecond, ratio: committedPerSecond / emptyWorkflowsPerSecond };
}

export function drainTable(drain: ReturnType<typeof drainRatio>): Table {
  return {
    title: `6. Purchases drained during the default sale vs empty workflows alone (step 2): ${ratio(drain.ratio)} (aim ≥ 0.70x)`,
    header: ['figure', 'per second'],
    rows: [
      ['units committed, first order to last, while the crowd arrived', drain.committedPerSecond.toFixed(1)],
      ['empty workflows, alone on the same Temporal', drain.emptyWorkflowsPerSecond.toFixed(1)],
    ],
  };
}
