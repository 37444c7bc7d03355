/**
 * `npm run bench:baseline [-- --count 500 --concurrency 50 --warmup 50 --rounds 1]`
 *
 * What an empty workflow costs on this Temporal server, and what one activity
 * or one local activity adds to it. Every variant runs in the same process
 * against the same server, so the ratios compare like with like even on a
 * noisy shared machine. Results also go to bench/results/baseline-<time>.json.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ensureDevServer } from '../tools/temporal';
import { positiveInteger } from './lib/args';
import { resultPath, timestamp, writeJson } from './lib/results';
import { printTable } from './lib/table';
import {
  compareWithFirst,
  comparisonTable,
  measureVariants,
  workflowVariant,
  type Measurement,
  type WorkflowLoad,
} from './lib/workflow-bench';
import { emptyWorkflow, oneActivityWorkflow, oneLocalActivityWorkflow, type BenchActivities } from './workflows';

const NAMESPACE = process.env.TEMPORAL_NAMESPACE ?? 'default';

const VARIANTS = [
  workflowVariant('empty workflow', emptyWorkflow),
  workflowVariant('one activity', oneActivityWorkflow),
  workflowVariant('one local activity', oneLocalActivityWorkflow),
];

/** Flags win over environment variables, which win over the defaults. */
function readLoad(): WorkflowLoad {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', short: 'n' },
      concurrency: { type: 'string', short: 'c' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  return {
    count: positiveInteger('count', values.count ?? process.env.BENCH_COUNT ?? '500'),
    concurrency: positiveInteger('concurrency', values.concurrency ?? process.env.BENCH_CONCURRENCY ?? '50'),
    warmup: positiveInteger('warmup', values.warmup ?? process.env.BENCH_WARMUP ?? '50'),
    rounds: positiveInteger('rounds', values.rounds ?? process.env.BENCH_ROUNDS ?? '1'),
  };
}

async function main(): Promise<void> {
  const load = readLoad();
  const address = process.env.TEMPORAL_ADDRESS ?? (await ensureDevServer()).address;
  const taskQueue = `bench-baseline-${randomUUID()}`;
  console.log(
    `[bench] ${address}, namespace ${NAMESPACE}: ${load.count} workflows per variant at concurrency ${load.concurrency} (after ${load.warmup} warm-up)`,
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

  let measurements: Measurement[];
  try {
    measurements = await worker.runUntil(measureVariants(client, taskQueue, VARIANTS, load));
  } finally {
    await connection.close();
    await workerConnection.close();
  }

  const rows = compareWithFirst(measurements);
  printTable(comparisonTable('Workflow cost on this Temporal server', rows));
  const file = resultPath(`baseline-${timestamp()}.json`);
  writeJson(file, {
    finishedAt: new Date().toISOString(),
    temporalAddress: address,
    namespace: NAMESPACE,
    node: process.version,
    sdk: require('@temporalio/client/package.json').version as string,
    options: load,
    results: rows,
  });
  console.log(`\n[bench] wrote ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
