/**
 * The committed figures (docs/figures/<name>.json) and the markdown tables
 * rendered from them into docs/performance.md, between
 * `<!-- bench:begin <name> -->` and `<!-- bench:end -->`. Pure: no services,
 * so test/docs.test.ts can check that the document is what this renders.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIGURES_DIR = path.join(ROOT, 'docs', 'figures');
export const PERFORMANCE_MD = path.join(ROOT, 'docs', 'performance.md');
/** Pages with generated blocks: every table in docs/performance.md, and the README's summary of the aims. */
export const GENERATED_PAGES = [PERFORMANCE_MD, path.join(ROOT, 'README.md')];

/** One measured value, a value per run (several runs), the range over runs, or not measured. */
export type Figure = number | number[] | { min: number; max: number } | null;

/** Where a set of figures comes from; shown under its table. */
export interface Provenance {
  /** A bench/results file, or how the figures were transcribed. */
  source: string;
  machine: string;
  conditions: string;
}

/** A latency summary in ms; `count` is absent from the figures transcribed by hand. */
export interface Latency {
  count?: number;
  p50: number;
  p95?: number;
  p99: number;
}

/** How the admitted purchases went (the simulator's `purchases`); times in s after the sale opened. */
export interface PurchaseFigures {
  admitted: number;
  syncAdmitted: number;
  /** Admitted sync buyers whose first answer was terminal: decided within SYNC_DEADLINE_MS. */
  syncSettledByAnswer: number;
  lastTerminalS: number | null;
  firstOrderS: number | null;
  committedPerSecond: number | null;
}

/**
 * One sale. The optional fields came with the crowd issue's benchmarks: the
 * figures transcribed by hand before them lack them, and their rows show "–".
 */
export interface SaleColumn {
  measuredAt: string;
  buyers: number;
  stock: number;
  durationS: number;
  speed: number;
  connections?: number;
  wallS: number;
  requests: number;
  perSecond: number;
  peakPerSecond: number;
  /** Request latency by pattern: sync, async, poll. */
  latencyMs: Record<string, Latency>;
  /** Request latency by pattern and outcome, e.g. `sync SOLD_OUT`, `poll CONFIRMED`. */
  latencyByOutcomeMs?: Record<string, Latency>;
  soldOutS: number | null;
  lastOrderS: number | null;
  purchases?: PurchaseFigures;
  workflowsStarted: number;
  invariantsHold: boolean;
  peakRssMiB?: Record<string, number>;
  /** Average cores used during the sale, by process. */
  cores: Record<string, number>;
}

export interface SaleFigures {
  provenance: Provenance;
  columns: SaleColumn[];
}

export interface RatioFigures {
  provenance: Provenance;
  soldOut: {
    measuredAt: string;
    connections: number;
    perSecond: { api: number; bare: number };
    p99Ms: { api: number; bare: number };
    serverUsPerRequest: { api: number; bare: number };
  } | null;
  /** Ratio 1 again with the default sale's connections (1b): no aim of its own, it shows what 64 can hide. */
  soldOutCrowd?: RatioFigures['soldOut'];
  workflows: {
    measuredAt: string;
    count: number;
    concurrency: number;
    perSecond: { purchase: number; empty: number };
    p50Ms: { purchase: number; empty: number };
    p99Ms: { purchase: number; empty: number };
  } | null;
  sale: {
    measuredAt: string;
    speed: number;
    stock: number;
    workflowsStarted: number;
    /** The API's pulsecart_workflows_started_total, when it was read. */
    workflowsByMetrics: number | null;
    /** Admitted buyers (who got a tracking id), ms from arrival. */
    answerP50Ms: { sync: number; async: number };
    terminalP50Ms: { sync: number; async: number };
    terminalP99Ms: { sync: number; async: number };
    peakRssMiB: Record<string, number>;
  } | null;
  /** Ratio 6: units committed per second during the sale vs empty workflows per second alone, same run. */
  drain?: {
    measuredAt: string;
    /** The sale's --speed. */
    speed: number | null;
    committedPerSecond: number | null;
    emptyWorkflowsPerSecond: number;
    ratio: number | null;
  } | null;
  /** Ratio 7: the same units sold to a crowd vs to exactly as many buyers. */
  crowd?: {
    measuredAt: string;
    options: { stock: number; crowd: number; inFlight: number };
    exact: CrowdSale;
    crowd: CrowdSale;
    /** Crowd ÷ exact: when the last admitted buyer knew how its purchase ended. */
    lastTerminalRatio: number | null;
  } | null;
}

export interface CrowdSale {
  buyers: number;
  admitted: number;
  lastTerminalS: number | null;
  lastOrderS: number | null;
  syncAdmitted: number;
  syncSettledByAnswer: number;
  committedPerSecond: number | null;
  invariantsHold: boolean;
}

export interface SseRow {
  measuredAt: string;
  subscribers: number;
  runs: number | null;
  stock: number | null;
  rate: number | null;
  delayMs: { p50: Figure; p95: Figure; p99: Figure; max: Figure };
  eventsPerSubscriber: { min: number; max: number } | null;
  everySubscriberEndedOnZero: boolean | null;
  note?: string;
}

export interface SseFigures {
  provenance: Provenance;
  rows: SseRow[];
}

export interface ScaleOutRow {
  apis: number;
  workers: number;
  runs: number;
  perSecond: Figure;
  peakPerSecond: Figure;
  apiCpuMsPerRequest: Figure;
  workerCpuS: Figure;
  machineBusyCores: Figure;
}

export interface ScaleOutFigures {
  provenance: Provenance;
  rows: ScaleOutRow[];
}

export interface Figures {
  sale: SaleFigures;
  ratios: RatioFigures;
  'sse-latency': SseFigures;
  'scale-out': ScaleOutFigures;
}

export type FigureName = keyof Figures;
export const FIGURE_NAMES: FigureName[] = ['sale', 'ratios', 'sse-latency', 'scale-out'];

export function readFigures(dir = FIGURES_DIR): Figures {
  const read = (name: FigureName) => JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  return Object.fromEntries(FIGURE_NAMES.map((name) => [name, read(name)])) as unknown as Figures;
}

/** Files in docs/figures that no block renders: a sign of a typo or a stale file. */
export function unknownFigureFiles(dir = FIGURES_DIR): string[] {
  const known = new Set(FIGURE_NAMES.map((name) => `${name}.json`));
  return readdirSync(dir).filter((file) => !known.has(file));
}

// ---- formatting -------------------------------------------------------------

function grouped(value: number, digits: number): string {
  const [whole, fraction] = value.toFixed(digits).split('.');
  const withCommas = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? withCommas : `${withCommas}.${fraction}`;
}

/** Integers as they are, others to `digits` decimals; thousands separated. */
const num = (value: number, digits = 0) => grouped(value, Number.isInteger(value) ? 0 : digits);

/** Milliseconds: below 100 ms to a tenth, below 1 s whole, from 1 s on in seconds to a tenth. */
function duration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return `${num(ms, ms < 100 ? 1 : 0)} ms`;
}

function figure(value: Figure, show: (v: number) => string): string {
  if (value === null) return '–';
  if (typeof value === 'number') return show(value);
  if (Array.isArray(value)) return value.map(show).join(', ');
  return `${show(value.min)} – ${show(value.max)}`;
}

const table = (header: string[], rows: string[][]) =>
  [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');

const provenanceLine = ({ source, machine, conditions }: Provenance) =>
  `_Source: ${source}. Machine: ${machine}. Conditions: ${conditions}._`;

// ---- tables -----------------------------------------------------------------

/** `p50 / p99`, and how many requests when it is known. */
function p50p99(l: Latency | undefined): string {
  if (!l) return '–';
  const pair = `${duration(l.p50)} / ${duration(l.p99)}`;
  return l.count === undefined ? pair : `${pair} (${num(l.count)})`;
}

const seconds = (s: number | null | undefined) => (s === null || s === undefined ? '–' : `${s.toFixed(1)} s`);
const perSecondOrDash = (v: number | null | undefined) => (v === null || v === undefined ? '–' : num(v, 1));
const percent = (ratio: number) => `${(100 * ratio).toFixed(0)}%`;
/** `n of m (p%)`: how many of a group. */
const share = (part: number, whole: number) =>
  `${num(part)} of ${num(whole)}${whole ? ` (${percent(part / whole)})` : ''}`;
const mebibytes = (rss: Record<string, number> | undefined) =>
  rss
    ? Object.entries(rss)
        .map(([name, mib]) => `${name} ${num(mib)} MiB`)
        .join(', ')
    : '–';

function saleTable({ provenance, columns }: SaleFigures): string {
  const byColumn = (label: string, cell: (c: SaleColumn) => string) => [label, ...columns.map(cell)];
  const outcome = (name: string) => (c: SaleColumn) => p50p99(c.latencyByOutcomeMs?.[name]);
  const purchases = (cell: (p: PurchaseFigures) => string) => (c: SaleColumn) =>
    c.purchases ? cell(c.purchases) : '–';
  const cores = (c: SaleColumn) =>
    Object.entries(c.cores)
      .sort(([, a], [, b]) => b - a)
      .map(([name, value]) => `${name} ${value.toFixed(2)}`)
      .join(', ');
  const header = ['', ...columns.map((c) => `\`--speed ${c.speed}\` (${num(c.durationS / c.speed)} s)`)];
  const rows = [
    byColumn('measured', (c) => c.measuredAt),
    byColumn(
      'buyers, units, sale length, connections',
      (c) =>
        `${num(c.buyers)}, ${num(c.stock)}, ${num(c.durationS)} s, ${c.connections === undefined ? '–' : num(c.connections)}`,
    ),
    byColumn('wall time', (c) => seconds(c.wallS)),
    byColumn(
      'requests; req/s, mean / busiest second',
      (c) => `${num(c.requests)}; ${num(c.perSecond)} / ${num(c.peakPerSecond)}`,
    ),
    byColumn('sold-out answers to sync buyers, p50 / p99 (answers)', outcome('sync SOLD_OUT')),
    byColumn('sold-out answers to async buyers, p50 / p99 (answers)', outcome('async SOLD_OUT')),
    byColumn('sync confirmations (200), p50 / p99 (answers)', outcome('sync CONFIRMED')),
    byColumn('status reads answered CONFIRMED, p50 / p99 (reads)', outcome('poll CONFIRMED')),
    byColumn('all status reads, p50 / p99 (reads)', (c) => p50p99(c.latencyMs.poll)),
    byColumn(
      'admitted sync buyers decided within the sync deadline',
      purchases((p) => share(p.syncSettledByAnswer, p.syncAdmitted)),
    ),
    byColumn('sold out in Redis / first order / last order in PostgreSQL', (c) =>
      [c.soldOutS, c.purchases?.firstOrderS, c.lastOrderS].map(seconds).join(' / '),
    ),
    byColumn(
      'units committed per second, first order to last',
      purchases((p) => perSecondOrDash(p.committedPerSecond)),
    ),
    byColumn(
      'last admitted buyer told how it ended',
      purchases((p) => seconds(p.lastTerminalS)),
    ),
    byColumn('workflows started', (c) => num(c.workflowsStarted)),
    byColumn('invariants 1–6', (c) => (c.invariantsHold ? 'all hold' : '**broken**')),
    byColumn('peak RSS (VmHWM)', (c) => mebibytes(c.peakRssMiB)),
    byColumn('CPU (cores)', cores),
  ];
  return `${table(header, rows)}\n\n${provenanceLine(provenance)}`;
}

const verdict = (met: boolean) => (met ? 'met' : '**missed**');
const times = (ratio: number) => `${ratio.toFixed(2)}×`;
const NOT_MEASURED = 'not measured';

/** One row of the ratios table: its aim and, once measured, what was measured and whether it meets the aim. */
function ratioRow(
  number: number | string,
  what: string,
  aim: string,
  measured: { cell: string; met?: boolean; at: string } | null,
): string[] {
  if (!measured) return [String(number), what, NOT_MEASURED, aim, '–'];
  const judged = measured.met === undefined ? aim : `${aim} — ${verdict(measured.met)}`;
  return [String(number), what, measured.cell, judged, measured.at];
}

/** Ratio 1's aims, from the crowd issue: the share of a bare server's req/s and the server CPU per answer. */
const SOLD_OUT_AIM = { share: 0.4, serverUs: 40 };

function soldOutRow(soldOut: RatioFigures['soldOut']): string[] {
  const { share: least, serverUs: most } = SOLD_OUT_AIM;
  const aim = `≥ ${percent(least)} and ≤ ${most} µs per answer`;
  if (!soldOut) return ratioRow(1, soldOutWhat(soldOut), aim, null);
  const { perSecond, serverUsPerRequest: us } = soldOut;
  const met = perSecond.api / perSecond.bare >= least && us.api <= most;
  return ratioRow(1, soldOutWhat(soldOut), aim, { cell: soldOutCell(soldOut), met, at: soldOut.measuredAt });
}

function soldOutCrowdRow(soldOut: RatioFigures['soldOut'] | undefined): string[] {
  const what = soldOutWhat(soldOut ?? null, "the default sale's connections");
  if (!soldOut) return ratioRow('1b', what, '—', null);
  return ratioRow('1b', what, '—', { cell: soldOutCell(soldOut), at: soldOut.measuredAt });
}

function soldOutWhat(soldOut: RatioFigures['soldOut'], unmeasured = ''): string {
  const connections = soldOut ? `${num(soldOut.connections)} connections` : unmeasured;
  return `sold-out purchase vs bare \`node:http\`${connections ? `, ${connections}` : ''}`;
}

function soldOutCell({ perSecond, p99Ms, serverUsPerRequest: us }: NonNullable<RatioFigures['soldOut']>): string {
  return (
    `${num(perSecond.api)} vs ${num(perSecond.bare)} req/s = **${percent(perSecond.api / perSecond.bare)}**; ` +
    `p99 ${duration(p99Ms.api)} vs ${duration(p99Ms.bare)} = ${times(p99Ms.api / p99Ms.bare)}; ` +
    `server CPU **${num(us.api)}** vs ${num(us.bare)} µs per request`
  );
}

function workflowsRow(workflows: RatioFigures['workflows']): string[] {
  const load = workflows ? `, ${num(workflows.count)} executes at concurrency ${workflows.concurrency}` : '';
  const what = `purchase workflow vs empty workflow${load}`;
  if (!workflows) return ratioRow(2, what, 'within 1.5×', null);
  const { perSecond, p50Ms, p99Ms } = workflows;
  const p50 = p50Ms.purchase / p50Ms.empty;
  const p99 = p99Ms.purchase / p99Ms.empty;
  return ratioRow(2, what, 'within 1.5×', {
    cell:
      `${num(perSecond.purchase, 1)} vs ${num(perSecond.empty, 1)} workflows/s = ` +
      `${times(perSecond.empty / perSecond.purchase)} slower; ` +
      `p50 ${duration(p50Ms.purchase)} vs ${duration(p50Ms.empty)} = **${times(p50)}**; ` +
      `p99 ${duration(p99Ms.purchase)} vs ${duration(p99Ms.empty)} = **${times(p99)}**`,
    met: Math.max(p50, p99) <= 1.5,
    at: workflows.measuredAt,
  });
}

/** Ratio 5's aim, from the crowd issue: the API's peak RSS in the default sale with 2,048 connections. */
const API_PEAK_RSS_MIB = 256;

function saleRows(sale: RatioFigures['sale']): string[][] {
  const speed = sale ? ` at speed ${sale.speed}` : '';
  const rows = {
    perUnit: 'workflows started per unit of stock in the default sale',
    syncVsAsync: `sync vs async, admitted buyers, default sale${speed}`,
    rss: `peak RSS (VmHWM) during the default sale${speed}`,
  };
  const rssAim = `api ≤ ${API_PEAK_RSS_MIB} MiB`;
  if (!sale) {
    return [
      ratioRow(3, rows.perUnit, '≤ 1.2', null),
      ratioRow(4, rows.syncVsAsync, '—', null),
      ratioRow(5, rows.rss, rssAim, null),
    ];
  }
  const perUnit = sale.workflowsStarted / sale.stock;
  const metrics =
    sale.workflowsByMetrics === null
      ? ''
      : ` (the API's \`pulsecart_workflows_started_total\`: ${num(sale.workflowsByMetrics)})`;
  const pair = (p: { sync: number; async: number }) => `${duration(p.sync)} sync vs ${duration(p.async)} async`;
  const apiRss = sale.peakRssMiB.api;
  const at = sale.measuredAt;
  return [
    ratioRow(3, rows.perUnit, '≤ 1.2', {
      cell: `${num(sale.workflowsStarted)} / ${num(sale.stock)} = **${perUnit.toFixed(2)}**${metrics}`,
      met: perUnit <= 1.2,
      at,
    }),
    ratioRow(4, rows.syncVsAsync, '—', {
      cell:
        `answer p50 ${pair(sale.answerP50Ms)}; terminal p50 ${pair(sale.terminalP50Ms)}, ` +
        `p99 ${pair(sale.terminalP99Ms)}`,
      at,
    }),
    ratioRow(5, rows.rss, rssAim, {
      cell: mebibytes(sale.peakRssMiB),
      met: apiRss === undefined ? undefined : apiRss <= API_PEAK_RSS_MIB,
      at,
    }),
  ];
}

const DRAIN_AIM = 0.7;

function drainRow(drain: RatioFigures['drain']): string[] {
  const speed = drain?.speed ? ` at speed ${drain.speed}` : '';
  const what = `purchases drained in the default sale${speed} vs empty workflows alone (ratio 2), same run`;
  const aim = `≥ ${DRAIN_AIM.toFixed(2)}×`;
  if (!drain) return ratioRow(6, what, aim, null);
  const { ratio } = drain;
  return ratioRow(6, what, aim, {
    cell:
      `${perSecondOrDash(drain.committedPerSecond)} units committed/s vs ` +
      `${num(drain.emptyWorkflowsPerSecond, 1)} empty workflows/s = **${ratio === null ? '–' : times(ratio)}**`,
    met: ratio !== null && ratio >= DRAIN_AIM,
    at: drain.measuredAt,
  });
}

const CROWD_AIM = 1.3;

function crowdRow(crowd: RatioFigures['crowd']): string[] {
  const aim = `last buyer told ≤ ${CROWD_AIM.toFixed(2)}× later`;
  if (!crowd) return ratioRow(7, 'the same units to a crowd vs to exactly as many buyers, all at once', aim, null);
  const o = crowd.options;
  const what = `${num(o.stock)} units to ${num(o.crowd)} buyers vs to exactly ${num(o.stock)}, all at once, ${num(o.inFlight)} in flight`;
  const { exact, crowd: big, lastTerminalRatio: ratio } = crowd;
  const both = (cell: (s: CrowdSale) => string) => `${cell(big)} vs ${cell(exact)}`;
  const hold = exact.invariantsHold && big.invariantsHold;
  return ratioRow(7, what, aim, {
    cell:
      `last admitted buyer told how it ended at ${both((s) => seconds(s.lastTerminalS))} = ` +
      `**${ratio === null ? '–' : times(ratio)}**; ` +
      `sync buyers decided in time ${both((s) => share(s.syncSettledByAnswer, s.syncAdmitted))}; ` +
      `units committed/s ${both((s) => perSecondOrDash(s.committedPerSecond))}; ` +
      `invariants ${hold ? 'hold' : '**broken**'}`,
    met: ratio !== null && ratio <= CROWD_AIM && hold,
    at: crowd.measuredAt,
  });
}

function ratiosTable(figures: RatioFigures): string {
  const rows = [
    soldOutRow(figures.soldOut),
    soldOutCrowdRow(figures.soldOutCrowd),
    workflowsRow(figures.workflows),
    ...saleRows(figures.sale),
    drainRow(figures.drain ?? null),
    crowdRow(figures.crowd ?? null),
  ];
  return `${table(['#', 'ratio', 'measured', 'aim', 'when'], rows)}\n\n${provenanceLine(figures.provenance)}`;
}

function sseTable({ provenance, rows }: SseFigures): string {
  const ms = (value: Figure) => figure(value, duration);
  const body = rows.map((r) => [
    num(r.subscribers),
    r.runs === null ? '–' : num(r.runs),
    r.stock === null ? '–' : num(r.stock),
    r.rate === null ? '–' : `${num(r.rate)}/s`,
    ms(r.delayMs.p50),
    ms(r.delayMs.p95),
    ms(r.delayMs.p99),
    ms(r.delayMs.max),
    r.eventsPerSubscriber ? `${r.eventsPerSubscriber.min} – ${r.eventsPerSubscriber.max}` : '–',
    r.everySubscriberEndedOnZero === null ? '–' : r.everySubscriberEndedOnZero ? 'yes' : '**no**',
    r.note ?? '',
  ]);
  const header = [
    'subscribers',
    'runs',
    'units',
    'buyers arriving',
    'delay p50',
    'p95',
    'p99',
    'max',
    'events per subscriber',
    'all ended on 0',
    'note',
  ];
  return `${table(header, body)}\n\n${provenanceLine(provenance)}`;
}

function scaleOutTable({ provenance, rows }: ScaleOutFigures): string {
  const body = rows.map((r) => [
    `${r.apis} × ${r.workers}${r.runs > 1 ? ` (${r.runs} runs)` : ''}`,
    figure(r.perSecond, (v) => num(v)),
    figure(r.peakPerSecond, (v) => num(v)),
    figure(r.apiCpuMsPerRequest, (v) => `${v.toFixed(2)} ms`),
    figure(r.workerCpuS, (v) => `${v.toFixed(1)} s`),
    figure(r.machineBusyCores, (v) => v.toFixed(2)),
  ]);
  const header = [
    'APIs × workers',
    'requests/s (mean of the sale)',
    'busiest second',
    'API CPU per request',
    'worker CPU for the purchases',
    'machine busy (cores)',
  ];
  return `${table(header, body)}\n\n${provenanceLine(provenance)}`;
}

const RENDERERS: { [K in FigureName]: (figures: Figures[K]) => string } = {
  sale: saleTable,
  ratios: ratiosTable,
  'sse-latency': sseTable,
  'scale-out': scaleOutTable,
};

// ---- the generated blocks ---------------------------------------------------

const BLOCK = /(<!-- bench:begin ([\w-]+) -->\n)[\s\S]*?(<!-- bench:end -->)/g;

export function blockNames(markdown: string): string[] {
  return [...markdown.matchAll(BLOCK)].map((match) => match[2]);
}

function isFigureName(name: string): name is FigureName {
  return (FIGURE_NAMES as string[]).includes(name);
}

/** The markdown with every generated block rendered anew from the figures, formatted as Prettier would. */
export async function renderDocument(markdown: string, figures: Figures, filepath = PERFORMANCE_MD): Promise<string> {
  const replaced = markdown.replace(BLOCK, (_whole, begin: string, name: string, end: string) => {
    if (!isFigureName(name)) throw new Error(`${filepath}: no figures named "${name}" (known: ${FIGURE_NAMES})`);
    const render = RENDERERS[name] as (f: Figures[FigureName]) => string;
    return `${begin}\n${render(figures[name])}\n\n${end}`;
  });
  // Loaded here, not at the top: test/docs.test.ts imports this module inside jest's VM, where Prettier cannot load.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(replaced, { ...options, filepath });
}
