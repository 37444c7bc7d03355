/**
 * A PulseCart of a benchmark's or the fuzzer's own: an API and (optionally) a
 * worker process, started as `npm start` starts them but on a free port and a
 * task queue nobody else uses, with their logs in files.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { ensureEnvironment } from '../setup';
import { freePort } from './ports';
import { launch, stopProcess } from './processes';
import { waitUntil } from './wait';

export interface SpawnOptions {
  withWorker: boolean;
  /** Where the processes' output goes; the path gets `-api.log` / `-worker.log`. */
  logPrefix: string;
  /** Extra environment for both processes (LOG_LEVEL, ...). */
  env?: NodeJS.ProcessEnv;
}

export interface SpawnedPulseCart {
  url: string;
  taskQueue: string;
  pids: Record<string, number>;
  stop(): Promise<void>;
}

/** A worker is ready when Temporal sees it poll the task queue (bundling its workflows takes a while). */
export async function waitForWorker(address: string, namespace: string, taskQueue: string, children: ChildProcess[]) {
  const connection = await Connection.connect({ address });
  const polled = async () => {
    // The task queue type defaults to the workflow task queue.
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
    });
    return pollers.length > 0;
  };
  try {
    await waitUntil(`a worker on ${taskQueue}`, polled, children);
  } finally {
    await connection.close();
  }
}

export async function spawnPulseCart({ withWorker, logPrefix, env = {} }: SpawnOptions): Promise<SpawnedPulseCart> {
  const config = loadConfig();
  const { temporalAddress } = await ensureEnvironment([config.DATABASE_URL]);
  const port = await freePort();
  const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
  const childEnv = {
    ...process.env,
    ...env,
    PORT: String(port),
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    // Benchmarks may run side by side: each worker's Prometheus endpoint gets a port of its own.
    WORKER_METRICS_PORT: String(await freePort()),
    // A throwaway task queue: the reconciliation schedule stays with the real workers.
    RECONCILE_SCHEDULE: 'false',
  };
  const processes: Record<string, ChildProcess> = {
    api: launch('src/api/main.ts', childEnv, `${logPrefix}-api.log`),
  };
  if (withWorker) processes.worker = launch('src/workers/main.ts', childEnv, `${logPrefix}-worker.log`);
  const url = `http://127.0.0.1:${port}`;
  const stop = () => Promise.all(Object.values(processes).map(stopProcess)).then(() => undefined);
  try {
    const children = Object.values(processes);
    await waitUntil(`${url}/ready`, () => fetch(`${url}/ready`).then((res) => res.ok), children);
    if (withWorker) await waitForWorker(temporalAddress, config.TEMPORAL_NAMESPACE, taskQueue, children);
  } catch (err) {
    await stop();
    throw err;
  }
  const pids = Object.fromEntries(Object.entries(processes).map(([name, child]) => [name, child.pid as number]));
  return { url, taskQueue, pids, stop };
}
