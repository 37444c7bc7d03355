/**
 * `npm run bench:report [-- --collect] [-- --check]`
 *
 * Renders the committed figures (docs/figures/*.json) into the generated
 * blocks of docs/performance.md, leaving the prose around them alone.
 * `--collect` first replaces the figures with the newest results of each
 * benchmark under bench/results (git-ignored): the default sale per speed,
 * each ratio of `npm run bench` from the newest run that measured it, and
 * `npm run bench:sse` per subscriber count.
 * The scale-out table is not collected: a result file does not say how many
 * processes served the sale. `--check` writes nothing and exits 1 when the
 * document is not what the figures render.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  FIGURES_DIR,
  GENERATED_PAGES,
  readFigures,
  renderDocument,
  type CrowdSale,
  type Latency,
  type Provenance,
  type RatioFigures,
  type SaleColumn,
  type SseRow,
} from '../tools/lib/figures';
import { RESULTS_DIR, writeJson, type MachineInfo } from './lib/results';

/** The default sale of DESIGN.md: 100,000 buyers, 1,000 units, 300 s (compressed by --speed). */
const DEFAULT_SALE = { buyers: 100_000, stock: 1000, durationS: 300 };

interface Result {
  file: string;
  at: string;
  data: any;
}

function readResults(): Result[] {
  let files: string[];
  try {
    files = readdirSync(RESULTS_DIR).filter((file) => file.endsWith('.json'));
  } catch {
    throw new Error(`no ${RESULTS_DIR}: run a benchmark first (npm run bench, npm run bench:sse)`);
  }
  return files
    .map((file) => {
      const data = JSON.parse(readFileSync(path.join(RESULTS_DIR, file), 'utf8'));
      const at = String(data.startedAt ?? data.finishedAt ?? '');
      return { file, at, data };
    })
    .filter((r) => r.at)
    .sort((a, b) => b.at.localeCompare(a.at));
}

const minute = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

function machine(info: MachineInfo | undefined): string {
  if (!info) return 'not recorded';
  const load = info.loadAverageAtStart?.join(', ') ?? '?';
  return `${info.cores} cores (${info.cpu}), ${info.memoryGiB} GiB, Node ${info.node}, load average at start ${load}`;
}

/** The source of figures no result file was found for: `--collect` keeps what is committed for them. */
const NO_RESULT = 'no result found';

const provenance = (used: Result[], conditions: string): Provenance => ({
  source: used.length ? used.map((r) => `bench/results/${r.file}`).join(', ') : NO_RESULT,
  machine: [...new Set(used.map((r) => machine(r.data.machine)))].join('; ') || 'not recorded',
  conditions,
});

function saleColumn(at: string, sale: any): SaleColumn {
  const cores = Object.fromEntries(
    Object.entries<number>(sale.cpuSeconds).map(([name, seconds]) => [name, seconds / sale.wallS]),
  );
  const latencies = (byName: Record<string, any> = {}): Record<string, Latency> =>
    Object.fromEntries(
      Object.entries(byName).map(([name, l]) => [name, { count: l.count, p50: l.p50, p95: l.p95, p99: l.p99 }]),
    );
  const { purchases } = sale;
  return {
    measuredAt: minute(at),
    buyers: sale.options.buyers,
    stock: sale.options.stock,
    durationS: sale.options.durationS,
    speed: sale.options.speed,
    connections: sale.options.connections,
    wallS: sale.wallS,
    requests: sale.requests.total,
    perSecond: sale.requests.perSecond,
    peakPerSecond: sale.requests.peakPerSecond,
    latencyMs: latencies(sale.latency),
    latencyByOutcomeMs: latencies(sale.latencyByOutcome),
    soldOutS: sale.soldOutS ?? null,
    lastOrderS: sale.lastOrderS ?? null,
    purchases: purchases && {
      admitted: purchases.admitted,
      syncAdmitted: purchases.syncAdmitted,
      syncSettledByAnswer: purchases.syncSettledByAnswer,
      lastTerminalS: purchases.lastTerminalS ?? null,
      firstOrderS: purchases.firstOrderS ?? null,
      committedPerSecond: purchases.committedPerSecond ?? null,
    },
    workflowsStarted: sale.workflows.temporal,
    invariantsHold: sale.invariants.passed,
    peakRssMiB: sale.peakRssMiB,
    cores,
  };
}

const isDefaultSale = (r: Result) =>
  r.data.sale &&
  r.data.sale.options.buyers === DEFAULT_SALE.buyers &&
  r.data.sale.options.stock === DEFAULT_SALE.stock &&
  r.data.sale.options.durationS === DEFAULT_SALE.durationS;

/** The newest default sale at each speed, fastest first. */
function collectSale(results: Result[]) {
  const newestPerSpeed = new Map<number, Result>();
  for (const r of results.filter(isDefaultSale)) {
    if (!newestPerSpeed.has(r.data.sale.options.speed)) newestPerSpeed.set(r.data.sale.options.speed, r);
  }
  const used = [...newestPerSpeed.values()].sort((a, b) => b.data.sale.options.speed - a.data.sale.options.speed);
  return {
    provenance: provenance(used, 'the flash-sale simulator (npm run bench or npm run flash-sale) on one machine'),
    columns: used.map((r) => saleColumn(r.at, r.data.sale)),
  };
}

/** A ratio of a missing figure is NaN, which JSON writes as null. */
const finite = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

const crowdSale = (s: any): CrowdSale => ({
  buyers: s.buyers,
  admitted: s.admitted,
  lastTerminalS: finite(s.lastTerminalS),
  lastOrderS: finite(s.lastOrderS),
  syncAdmitted: s.syncAdmitted,
  syncSettledByAnswer: s.syncSettledByAnswer,
  committedPerSecond: finite(s.committedPerSecond),
  invariantsHold: s.invariantsHold,
});

/** Ratio 1 (and 1b), from one sold-out step's report. */
function soldOutFigures(result: Result, step: string): NonNullable<RatioFigures['soldOut']> {
  const { options, api, bare } = result.data.ratios[step];
  return {
    measuredAt: minute(result.at),
    connections: options.connections,
    perSecond: { api: api.perSecond, bare: bare.perSecond },
    p99Ms: { api: api.latency.p99, bare: bare.latency.p99 },
    serverUsPerRequest: {
      api: (api.serverCores / api.perSecond) * 1e6,
      bare: (bare.serverCores / bare.perSecond) * 1e6,
    },
  };
}

function collectRatios(results: Result[]): RatioFigures {
  const newest = (step: string) => results.find((r) => r.data.ratios?.[step]);
  const soldOut = newest('sold-out');
  const soldOutCrowd = newest('sold-out-crowd');
  const workflows = newest('workflows');
  const sale = newest('sale');
  const drain = newest('drain');
  const crowd = newest('crowd');
  const variant = (report: any, name: string) => report.results.find((c: any) => c.variant === name);
  const buyers = (t: any, key: 'answer' | 'terminal', p: 'p50' | 'p99') => ({
    sync: t['sync admitted'][key][p],
    async: t['async admitted'][key][p],
  });
  const used = [soldOut, soldOutCrowd, workflows, sale, drain, crowd].filter((r): r is Result => r !== undefined);
  return {
    provenance: provenance([...new Set(used)], 'npm run bench; each ratio within one run, the newest that measured it'),
    soldOut: soldOut ? soldOutFigures(soldOut, 'sold-out') : null,
    soldOutCrowd: soldOutCrowd ? soldOutFigures(soldOutCrowd, 'sold-out-crowd') : null,
    workflows: workflows
      ? ((report) => {
          const [purchase, empty] = [variant(report, 'purchase workflow'), variant(report, 'empty workflow')];
          return {
            measuredAt: minute(workflows.at),
            count: report.load.count,
            concurrency: report.load.concurrency,
            perSecond: { purchase: purchase.workflowsPerSecond, empty: empty.workflowsPerSecond },
            p50Ms: { purchase: purchase.p50Ms, empty: empty.p50Ms },
            p99Ms: { purchase: purchase.p99Ms, empty: empty.p99Ms },
          };
        })(workflows.data.ratios.workflows)
      : null,
    sale: sale
      ? ((s) => ({
          measuredAt: minute(sale.at),
          speed: s.options.speed,
          stock: s.options.stock,
          workflowsStarted: s.workflows.temporal,
          workflowsByMetrics: s.workflows.metrics ?? null,
          answerP50Ms: buyers(s.buyerTimes, 'answer', 'p50'),
          terminalP50Ms: buyers(s.buyerTimes, 'terminal', 'p50'),
          terminalP99Ms: buyers(s.buyerTimes, 'terminal', 'p99'),
          peakRssMiB: s.peakRssMiB ?? {},
        }))(sale.data.sale)
      : null,
    drain: drain
      ? (({ committedPerSecond, emptyWorkflowsPerSecond, ratio }) => ({
          measuredAt: minute(drain.at),
          speed: drain.data.sale?.options.speed ?? null,
          committedPerSecond: finite(committedPerSecond),
          emptyWorkflowsPerSecond,
          ratio: finite(ratio),
        }))(drain.data.ratios.drain)
      : null,
    crowd: crowd
      ? ((report) => ({
          measuredAt: minute(crowd.at),
          options: report.options,
          exact: crowdSale(report.exact),
          crowd: crowdSale(report.crowd),
          lastTerminalRatio: finite(report.lastTerminalRatio),
        }))(crowd.data.ratios.crowd)
      : null,
  };
}

/** The newest `npm run bench:sse` at each subscriber count. */
function collectSse(results: Result[]) {
  const newest = new Map<number, Result>();
  for (const r of results.filter((r) => r.file.startsWith('sse-latency-'))) {
    if (!newest.has(r.data.options.subscribers)) newest.set(r.data.options.subscribers, r);
  }
  const used = [...newest.values()].sort((a, b) => b.data.options.subscribers - a.data.options.subscribers);
  const rows: SseRow[] = used.map(({ at, data }) => ({
    measuredAt: minute(at),
    subscribers: data.options.subscribers,
    runs: 1,
    stock: data.options.stock,
    rate: data.options.rate,
    delayMs: { p50: data.delayMs.p50, p95: data.delayMs.p95, p99: data.delayMs.p99, max: data.delayMs.max },
    eventsPerSubscriber: data.eventsPerSubscriber,
    everySubscriberEndedOnZero: data.everySubscriberEndedOnZero,
  }));
  return { provenance: provenance(used, 'npm run bench:sse: an API and a worker of its own'), rows };
}

function collect(): void {
  const results = readResults();
  const figures = { sale: collectSale(results), ratios: collectRatios(results), 'sse-latency': collectSse(results) };
  for (const [name, value] of Object.entries(figures)) {
    const file = path.join(FIGURES_DIR, `${name}.json`);
    if (value.provenance.source === NO_RESULT) {
      console.log(`[bench:report] ${file} kept: no result for it under bench/results`);
      continue;
    }
    writeJson(file, value);
    console.log(`[bench:report] ${file} ← ${value.provenance.source}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { collect: { type: 'boolean' }, check: { type: 'boolean' } } });
  if (values.collect) collect();
  const figures = readFigures();
  for (const page of GENERATED_PAGES) {
    const current = readFileSync(page, 'utf8');
    const rendered = await renderDocument(current, figures, page);
    if (values.check) {
      if (rendered !== current) {
        console.error(`[bench:report] ${page} is not what docs/figures renders: run npm run bench:report`);
        process.exitCode = 1;
      }
      continue;
    }
    writeFileSync(page, rendered);
    console.log(`[bench:report] ${page} ${rendered === current ? 'unchanged' : 'updated'}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
