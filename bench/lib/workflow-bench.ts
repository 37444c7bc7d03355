/**
 * Times workflow executions on a Temporal Service: `count` executes,
 * `concurrency` at a time, each from start request to result. Every variant
 * runs in the same process against the same server, so ratios between
 * variants compare like with like even on a noisy shared machine.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { summarize } from './stats';
import { ms, ratio, type Table } from './table';

export interface WorkflowVariant {
  name: string;
  /** Starts and awaits one execution with this workflow id. */
  execute(client: Client, taskQueue: string, workflowId: string): Promise<unknown>;
}

/** A variant that executes a workflow without arguments. */
export function workflowVariant(name: string, workflow: () => Promise<void>): WorkflowVariant {
  return {
    name,
    execute: (client, taskQueue, workflowId) => client.workflow.execute(workflow, { taskQueue, workflowId }),
  };
}

export interface WorkflowLoad {
  count: number;
  concurrency: number;
  warmup: number;
  /** The count is split into this many rounds, alternating between variants. */
  rounds: number;
}

export interface Measurement {
  variant: string;
  count: number;
  concurrency: number;
  wallMs: number;
  workflowsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface Comparison extends Measurement {
  throughputVsFirst: number;
  p50VsFirst: number;
  p99VsFirst: number;
}

async function executeMany(
  client: Client,
  taskQueue: string,
  variant: WorkflowVariant,
  count: number,
  concurrency: number,
) {
  const latencies: number[] = [];
  let issued = 0;
  const lane = async () => {
    while (issued < count) {
      issued += 1;
      const startedAt = performance.now();
      await variant.execute(client, taskQueue, `bench-${randomUUID()}`);
      latencies.push(performance.now() - startedAt);
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { latencies, wallMs: performance.now() - startedAt };
}

/** Runs one round of a variant; the hook lets a caller measure around it (CPU, say). */
export type RoundHook = (variant: WorkflowVariant, round: () => Promise<number>) => Promise<number>;

/**
 * Warms every variant up, then runs them in alternating rounds (A B A B ...)
 * so that drift on a shared machine hits every variant alike.
 */
export async function measureVariants(
  client: Client,
  taskQueue: string,
  variants: WorkflowVariant[],
  load: WorkflowLoad,
  hook: RoundHook = (_, round) => round(),
): Promise<Measurement[]> {
  for (const variant of variants) await executeMany(client, taskQueue, variant, load.warmup, load.concurrency);
  const runs = variants.map(() => ({ latencies: [] as number[], wallMs: 0 }));
  const perRound = Math.ceil(load.count / load.rounds);
  for (let round = 0; round < load.rounds; round += 1) {
    for (const [i, variant] of variants.entries()) {
      await hook(variant, async () => {
        const { latencies, wallMs } = await executeMany(client, taskQueue, variant, perRound, load.concurrency);
        runs[i].latencies.push(...latencies);
        runs[i].wallMs += wallMs;
        return wallMs;
      });
    }
  }
  return variants.map((variant, i) => {
    const { latencies, wallMs } = runs[i];
    const latency = summarize(latencies);
    return {
      variant: variant.name,
      count: latencies.length,
      concurrency: load.concurrency,
      wallMs,
      workflowsPerSecond: (latencies.length / wallMs) * 1000,
      p50Ms: latency.p50,
      p99Ms: latency.p99,
      maxMs: latency.max,
    };
  });
}

/** Each measurement against the first one. */
export function compareWithFirst(measurements: Measurement[]): Comparison[] {
  const [first] = measurements;
  return measurements.map((m) => ({
    ...m,
    throughputVsFirst: m.workflowsPerSecond / first.workflowsPerSecond,
    p50VsFirst: m.p50Ms / first.p50Ms,
    p99VsFirst: m.p99Ms / first.p99Ms,
  }));
}

export function comparisonTable(title: string, rows: Comparison[]): Table {
  const first = rows[0].variant;
  return {
    title,
    header: ['variant', 'workflows/s', 'p50 ms', 'p99 ms', 'max ms', `wf/s vs ${first}`, 'p50 vs', 'p99 vs'],
    rows: rows.map((r) => [
      r.variant,
      r.workflowsPerSecond.toFixed(1),
      ms(r.p50Ms),
      ms(r.p99Ms),
      ms(r.maxMs),
      ratio(r.throughputVsFirst),
      ratio(r.p50VsFirst),
      ratio(r.p99VsFirst),
    ]),
  };
}
