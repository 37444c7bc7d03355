/**
 * `npm run bench:baseline [-- --count 500 --concurrency 50 --warmup 50]`
 *
 * What an empty workflow costs on this Temporal server, and what one activity
 * or one local activity adds to it. Every variant runs in the same process
 * against the same server, so the ratios compare like with like even on a
 * noisy shared machine. Results also go to bench/results/baseline-<time>.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ensureDevServer } from '../tools/temporal';
import type { BenchActivities } from './workflows';
import { emptyWorkflow, oneActivityWorkflow, oneLocalActivityWorkflow } from './workflows';

const NAMESPACE = process.env.TEMPORAL_NAMESPACE ?? 'default';
const RESULTS_DIR = path.join(__dirname, 'results');

const VARIANTS = [
  { name: 'empty workflow', workflow: emptyWorkflow },
  { name: 'one activity', workflow: oneActivityWorkflow },
  { name: 'one local activity', workflow: oneLocalActivityWorkflow },
];
type Variant = (typeof VARIANTS)[number];

interface Options {
  count: number;
  concurrency: number;
  warmup: number;
}

interface Measurement {
  variant: string;
  count: number;
  concurrency: number;
  wallMs: number;
  workflowsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface Row extends Measurement {
  throughputVsEmpty: number;
  p50VsEmpty: number;
  p99VsEmpty: number;
}

function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** Flags win over environment variables, which win over the defaults. */
function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', short: 'n' },
      concurrency: { type: 'string', short: 'c' },
      warmup: { type: 'string' },
    },
  });
  return {
    count: positiveInteger('count', values.count ?? process.env.BENCH_COUNT ?? '500'),
    concurrency: positiveInteger('concurrency', values.concurrency ?? process.env.BENCH_CONCURRENCY ?? '50'),
    warmup: positiveInteger('warmup', values.warmup ?? process.env.BENCH_WARMUP ?? '50'),
  };
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Executes `count` workflows, `concurrency` at a time, timing each execute from start request to result. */
async function run(client: Client, taskQueue: string, variant: Variant, count: number, concurrency: number) {
  const latencies: number[] = [];
  let issued = 0;
  const lane = async () => {
    while (issued < count) {
      issued += 1;
      const startedAt = performance.now();
      await client.workflow.execute(variant.workflow, { taskQueue, workflowId: `bench-${randomUUID()}` });
      latencies.push(performance.now() - startedAt);
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { latencies, wallMs: performance.now() - startedAt };
}

async function measure(client: Client, taskQueue: string, variant: Variant, options: Options): Promise<Measurement> {
  await run(client, taskQueue, variant, options.warmup, options.concurrency);
  const { latencies, wallMs } = await run(client, taskQueue, variant, options.count, options.concurrency);
  const sorted = latencies.sort((a, b) => a - b);
  return {
    variant: variant.name,
    count: options.count,
    concurrency: options.concurrency,
    wallMs,
    workflowsPerSecond: (options.count / wallMs) * 1000,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1],
  };
}

function againstBaseline(measurements: Measurement[]): Row[] {
  const [baseline] = measurements;
  return measurements.map((m) => ({
    ...m,
    throughputVsEmpty: m.workflowsPerSecond / baseline.workflowsPerSecond,
    p50VsEmpty: m.p50Ms / baseline.p50Ms,
    p99VsEmpty: m.p99Ms / baseline.p99Ms,
  }));
}

function printTable(rows: Row[]): void {
  const header = [
    'variant',
    'workflows/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'wf/s vs empty',
    'p50 vs empty',
    'p99 vs empty',
  ];
  const lines = rows.map((r) => [
    r.variant,
    r.workflowsPerSecond.toFixed(1),
    r.p50Ms.toFixed(1),
    r.p99Ms.toFixed(1),
    r.maxMs.toFixed(1),
    `${r.throughputVsEmpty.toFixed(2)}x`,
    `${r.p50VsEmpty.toFixed(2)}x`,
    `${r.p99VsEmpty.toFixed(2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const format = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

async function main(): Promise<void> {
  const options = readOptions();
  const address = process.env.TEMPORAL_ADDRESS ?? (await ensureDevServer()).address;
  const taskQueue = `bench-baseline-${randomUUID()}`;
  console.log(
    `[bench] ${address}, namespace ${NAMESPACE}: ${options.count} workflows per variant at concurrency ${options.concurrency} (after ${options.warmup} warm-up)`,
  );

  const activities: BenchActivities = { async noop() {} };
  const workerConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: NAMESPACE });
  const worker = await Worker.create({
    connection: workerConnection,
    namespace: NAMESPACE,
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities,
  });

  const measurements: Measurement[] = [];
  try {
    await worker.runUntil(async () => {
      for (const variant of VARIANTS) {
        console.log(`[bench] ${variant.name} ...`);
        measurements.push(await measure(client, taskQueue, variant, options));
      }
    });
  } finally {
    await connection.close();
    await workerConnection.close();
  }

  const rows = againstBaseline(measurements);
  console.log();
  printTable(rows);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `baseline-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const report = {
    finishedAt: new Date().toISOString(),
    temporalAddress: address,
    namespace: NAMESPACE,
    node: process.version,
    sdk: require('@temporalio/client/package.json').version as string,
    options,
    results: rows,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n[bench] wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
