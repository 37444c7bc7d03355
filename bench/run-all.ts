/**
 * `npm run bench [-- --speed 10 --http-seconds 5 ...]` (`-- --help` lists the options)
 *
 * The ratios that keep PulseCart honest, each measured within this one run
 * (the machines are shared and noisy, so only same-run ratios mean much):
 *   1. sold-out path vs a bare node:http server (1b: with the default sale's 2,048 connections)
 *   2. purchase workflow vs an empty workflow on the same Temporal
 *   3-5. from the default sale (spawned API and worker): workflows per unit
 *        of stock, sync vs async, peak RSS
 *   6. purchases drained during that sale vs empty workflows alone (steps 2 and 3)
 *   7. the same units to a crowd vs to exactly as many buyers: how much later
 *      the last purchase ends, and how many sync buyers were decided in time
 * Each prints a table and is appended to bench/results/<timestamp>.json as it
 * finishes; the sale also writes its HTML report. `--only` runs some steps.
 * Exits 1 if the sale breaks an invariant.
 */
import { parseArgs } from 'node:util';
import { playSale } from './flash-sale/play';
import { SALE_FLAGS, saleUsage } from './flash-sale/options';
import type { SaleSummary } from './flash-sale/summary';
import { oneOf, positiveInteger } from './lib/args';
import { machineInfo, resultPath, timestamp, writeJson } from './lib/results';
import { printTable } from './lib/table';
import { crowdTable, measureCrowd } from './ratios/crowd';
import { drainRatio, drainTable, saleRatios, saleRatioTables } from './ratios/sale-ratios';
import { measureSoldOut, soldOutTable } from './ratios/sold-out';
import {
  measureWorkflowCost,
  purchaseStartTable,
  workflowCostTable,
  workflowCpuTable,
  workflowHistoryTable,
  type WorkflowCostReport,
} from './ratios/workflow-cost';
import { useDataFolderSecret } from '../tools/signing-secret';

/** Flag → [default, help] for the benchmarks before the sale. */
const BENCH_FLAGS: Record<string, [string, string]> = {
  'http-connections': ['64', 'ratio 1: connections, the same to both servers'],
  'http-seconds': ['5', 'ratio 1: seconds per round and server'],
  'http-rounds': ['2', 'ratio 1: alternating rounds'],
  'http-crowd-connections': ['2048', "ratio 1b: connections, the default sale's (a cost ratio 1's 64 once hid)"],
  workflows: ['500', 'ratio 2: executions per variant'],
  'workflow-concurrency': ['50', 'ratio 2: executions in flight'],
  'workflow-warmup': ['50', 'ratio 2: warm-up executions per variant'],
  'workflow-rounds': ['2', 'ratio 2: alternating rounds the executions are split into'],
  'crowd-stock': ['1000', 'ratio 7: units on sale, and buyers in the exact sale'],
  'crowd-buyers': ['30000', "ratio 7: the crowd's buyers"],
  'crowd-in-flight': ['500', 'ratio 7: requests in flight in both sales'],
};

/** The default sale, compressed tenfold, on an API and a worker of our own (always: ratio 5 measures them). */
const SALE_DEFAULTS = { speed: '10' };

type Values = Record<string, string | boolean | undefined>;

interface StepResult {
  /** What goes into the JSON under `ratios`. */
  value: unknown;
  sale?: SaleSummary;
}

/** Reads benchmark flags as positive integers, each into the field it is named for. */
function flags<K extends string>(values: Values, names: Record<K, string>): Record<K, number> {
  const read = (name: string) => positiveInteger(name, String(values[name] ?? BENCH_FLAGS[name][0]));
  const fields = Object.entries<string>(names).map(([field, name]) => [field, read(name)]);
  return Object.fromEntries(fields) as Record<K, number>;
}

async function soldOutStep(values: Values, stamp: string): Promise<StepResult> {
  console.log('[bench] 1. sold-out path vs bare node:http ...');
  return measureSoldOutAt(values, 'http-connections', `${stamp}-sold-out`, '1');
}

/** Ratio 1 again with the sale's connections: at 2,048 a stampede of requests to Redis doubled the cost. */
async function soldOutCrowdStep(values: Values, stamp: string): Promise<StepResult> {
  console.log("\n[bench] 1b. sold-out path vs bare node:http with the sale's connections ...");
  return measureSoldOutAt(values, 'http-crowd-connections', `${stamp}-sold-out-crowd`, '1b');
}

async function measureSoldOutAt(
  values: Values,
  connectionsFlag: string,
  logPrefix: string,
  number: string,
): Promise<StepResult> {
  const options = {
    ...flags(values, { connections: connectionsFlag, seconds: 'http-seconds', rounds: 'http-rounds' }),
    logLevel: String(values['log-level'] ?? 'info'),
  };
  const report = await measureSoldOut(options, resultPath(logPrefix));
  printTable(soldOutTable(report, number));
  return { value: report };
}

async function workflowsStep(values: Values, stamp: string): Promise<StepResult> {
  console.log('\n[bench] 2. purchase workflow vs empty workflow ...');
  const load = flags(values, {
    count: 'workflows',
    concurrency: 'workflow-concurrency',
    warmup: 'workflow-warmup',
    rounds: 'workflow-rounds',
  });
  const report = await measureWorkflowCost(load, resultPath(`${stamp}-workflows.log`));
  printTable(workflowCostTable(report));
  printTable(workflowCpuTable(report));
  printTable(workflowHistoryTable(report));
  printTable(purchaseStartTable(report));
  return { value: report };
}

async function saleStep(values: Values, stamp: string): Promise<StepResult> {
  console.log('\n[bench] 3-5. the default sale ...');
  const { summary } = await playSale({ ...SALE_DEFAULTS, ...values, spawn: true }, stamp);
  saleRatioTables(summary).forEach(printTable);
  return { value: saleRatios(summary), sale: summary };
}

async function crowdStep(values: Values, stamp: string): Promise<StepResult> {
  console.log('\n[bench] 7. a crowd vs exactly as many buyers as units ...');
  const options = flags(values, { stock: 'crowd-stock', crowd: 'crowd-buyers', inFlight: 'crowd-in-flight' });
  const report = await measureCrowd(options, stamp);
  printTable(crowdTable(report));
  if (!report.exact.invariantsHold || !report.crowd.invariantsHold) process.exitCode = 1;
  return { value: report };
}

/** Each step prints its tables and returns what goes into the JSON. */
const STEPS = {
  'sold-out': soldOutStep,
  'sold-out-crowd': soldOutCrowdStep,
  workflows: workflowsStep,
  sale: saleStep,
  crowd: crowdStep,
};
const STEP_NAMES = Object.keys(STEPS) as (keyof typeof STEPS)[];

function usage(): string {
  const bench = Object.entries(BENCH_FLAGS).map(([name, [value, help]]) => `  --${name.padEnd(20)} ${help} (${value})`);
  return [
    'npm run bench -- [options]',
    `  --${'only'.padEnd(20)} comma-separated steps among ${STEP_NAMES.join(', ')} (all)`,
    ...bench,
    'the sale (--speed 10 and --spawn by default):',
    saleUsage(),
  ].join('\n');
}

async function main(): Promise<void> {
  useDataFolderSecret();
  const { values } = parseArgs({
    options: {
      ...SALE_FLAGS,
      ...Object.fromEntries(Object.keys(BENCH_FLAGS).map((name) => [name, { type: 'string' as const }])),
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }) as { values: Values };
  if (values.help) {
    console.log(usage());
    return;
  }
  const steps = String(values.only ?? STEP_NAMES.join(','))
    .split(',')
    .map((step) => oneOf('only', step, STEP_NAMES));
  const stamp = timestamp();
  const file = resultPath(`${stamp}.json`);
  const results: Record<string, unknown> = { startedAt: new Date().toISOString(), machine: machineInfo() };
  const ratios: Record<string, unknown> = {};
  results.ratios = ratios;
  for (const step of steps) {
    const { value, sale } = await STEPS[step](values, stamp);
    ratios[step] = value;
    if (sale) {
      results.sale = sale;
      if (!sale.invariants.passed) process.exitCode = 1;
    }
    writeJson(file, results);
  }
  // Step 2 measures the empty workflow first: it is the baseline of its comparison.
  const empty = (ratios.workflows as WorkflowCostReport | undefined)?.results[0];
  if (empty && results.sale) {
    const drain = drainRatio(results.sale as SaleSummary, empty.workflowsPerSecond);
    printTable(drainTable(drain));
    ratios.drain = drain;
    writeJson(file, results);
  }
  console.log(`\n[bench] results: ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
