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

/** One measured value, a value per run (several runs), the range over runs, or not measured. */
export type Figure = number | number[] | { min: number; max: number } | null;

/** Where a set of figures comes from; shown under its table. */
export interface Provenance {
  /** A bench/results file, or how the figures were transcribed. */
  source: string;
  machine: string;
  conditions: string;
}

export interface SaleColumn {
  measuredAt: string;
  buyers: number;
  stock: number;
  durationS: number;
  speed: number;
  wallS: number;
  requests: number;
  perSecond: number;
  peakPerSecond: number;
  /** Request latency in ms by pattern: sync, async, poll. */
  latencyMs: Record<string, { p50: number; p95: number; p99: number }>;
  soldOutS: number | null;
  lastOrderS: number | null;
  workflowsStarted: number;
  invariantsHold: boolean;
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

function saleTable({ provenance, columns }: SaleFigures): string {
  const byColumn = (label: string, cell: (c: SaleColumn) => string) => [label, ...columns.map(cell)];
  const latency = (pattern: string) => (c: SaleColumn) => {
    const l = c.latencyMs[pattern];
    return l ? [l.p50, l.p95, l.p99].map(duration).join(' / ') : '–';
  };
  const cores = (c: SaleColumn) =>
    Object.entries(c.cores)
      .map(([name, value]) => `${name} ${value.toFixed(2)}`)
      .join(', ');
  const header = ['', ...columns.map((c) => `\`--speed ${c.speed}\` (${num(c.durationS / c.speed)} s)`)];
  const rows = [
    byColumn('measured', (c) => c.measuredAt),
    byColumn('buyers, units, sale length', (c) => `${num(c.buyers)}, ${num(c.stock)}, ${num(c.durationS)} s`),
    byColumn('wall time', (c) => `${c.wallS.toFixed(1)} s`),
    byColumn('requests (purchases, double clicks, second tries, polls)', (c) => num(c.requests)),
    byColumn('req/s, mean / busiest second', (c) => `${num(c.perSecond)} / ${num(c.peakPerSecond)}`),
    byColumn('sync purchase, p50 / p95 / p99', latency('sync')),
    byColumn('async purchase, p50 / p95 / p99', latency('async')),
    byColumn('status poll, p50 / p95 / p99', latency('poll')),
    byColumn(
      'sold out in Redis / last order in PostgreSQL',
      (c) => `${figure(c.soldOutS, (s) => `${s.toFixed(1)} s`)} / ${figure(c.lastOrderS, (s) => `${s.toFixed(1)} s`)}`,
    ),
    byColumn('workflows started', (c) => num(c.workflowsStarted)),
    byColumn('invariants 1–6', (c) => (c.invariantsHold ? 'all hold' : '**broken**')),
    byColumn('CPU (cores)', cores),
  ];
  return `${table(header, rows)}\n\n${provenanceLine(provenance)}`;
}

const verdict = (met: boolean) => (met ? 'met' : '**missed**');
const percent = (ratio: number) => `${(100 * ratio).toFixed(0)}%`;
const times = (ratio: number) => `${ratio.toFixed(2)}×`;

function ratiosTable({ provenance, soldOut, workflows, sale }: RatioFigures): string {
  const rows: string[][] = [];
  if (soldOut) {
    const { perSecond, p99Ms, serverUsPerRequest: us } = soldOut;
    const ratio = perSecond.api / perSecond.bare;
    rows.push([
      '1',
      `sold-out purchase vs bare \`node:http\`, ${soldOut.connections} connections`,
      `${num(perSecond.api)} vs ${num(perSecond.bare)} req/s = **${percent(ratio)}**; ` +
        `p99 ${duration(p99Ms.api)} vs ${duration(p99Ms.bare)} = ${times(p99Ms.api / p99Ms.bare)}; ` +
        `server CPU ${num(us.api)} vs ${num(us.bare)} µs per request`,
      `≥ 70% — ${verdict(ratio >= 0.7)}`,
      soldOut.measuredAt,
    ]);
  }
  if (workflows) {
    const { perSecond, p50Ms, p99Ms } = workflows;
    const p50 = p50Ms.purchase / p50Ms.empty;
    const p99 = p99Ms.purchase / p99Ms.empty;
    rows.push([
      '2',
      `purchase workflow vs empty workflow, ${num(workflows.count)} executes at concurrency ${workflows.concurrency}`,
      `${num(perSecond.purchase, 1)} vs ${num(perSecond.empty, 1)} workflows/s = ` +
        `${times(perSecond.empty / perSecond.purchase)} slower; ` +
        `p50 ${duration(p50Ms.purchase)} vs ${duration(p50Ms.empty)} = **${times(p50)}**; ` +
        `p99 ${duration(p99Ms.purchase)} vs ${duration(p99Ms.empty)} = **${times(p99)}**`,
      `within 1.5× — ${verdict(Math.max(p50, p99) <= 1.5)}`,
      workflows.measuredAt,
    ]);
  }
  if (sale) {
    const perUnit = sale.workflowsStarted / sale.stock;
    const metrics =
      sale.workflowsByMetrics === null
        ? ''
        : ` (the API's \`pulsecart_workflows_started_total\`: ${num(sale.workflowsByMetrics)})`;
    const pair = (p: { sync: number; async: number }) => `${duration(p.sync)} sync vs ${duration(p.async)} async`;
    const rss = Object.entries(sale.peakRssMiB)
      .map(([name, mib]) => `${name} ${num(mib)} MiB`)
      .join(', ');
    rows.push(
      [
        '3',
        'workflows started per unit of stock in the default sale',
        `${num(sale.workflowsStarted)} / ${num(sale.stock)} = **${perUnit.toFixed(2)}**${metrics}`,
        `≤ 1.2 — ${verdict(perUnit <= 1.2)}`,
        sale.measuredAt,
      ],
      [
        '4',
        `sync vs async, admitted buyers, default sale at speed ${sale.speed}`,
        `answer p50 ${pair(sale.answerP50Ms)}; terminal p50 ${pair(sale.terminalP50Ms)}, ` +
          `p99 ${pair(sale.terminalP99Ms)}`,
        '—',
        sale.measuredAt,
      ],
      ['5', 'peak RSS (VmHWM) during the default sale', rss, '—', sale.measuredAt],
    );
  }
  return `${table(['#', 'ratio', 'measured', 'aim', 'when'], rows)}\n\n${provenanceLine(provenance)}`;
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
