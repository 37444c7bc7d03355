/**
 * Deploying a workflow change while executions are in flight, the way
 * README.md ("Rolling out a new worker version") tells operators to: the change guarded by `patched()`.
 * An execution started on v1 waits for a signal while v1 is stopped and v2
 * starts; it finishes on v1's path, and a new execution takes v2's.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { installRuntime } from '../src/workers/runtime';
import { sleep } from '../tools/lib/wait';
import { GIFT_WRAP_PATCH, packingActivities, shipSignal, stepsQuery } from './versioning/shared';
import type { packOrder } from './versioning/v1';

type Version = 'v1' | 'v2' | 'v2-unpatched';

const workflowsPath = (version: Version) => require.resolve(`./versioning/${version}`);

/** The patches an execution went through: the SDK lists them in the TemporalChangeVersion search attribute. */
async function changeVersions(handle: WorkflowHandle): Promise<unknown> {
  const { searchAttributes } = await handle.describe();
  return searchAttributes.TemporalChangeVersion ?? [];
}

describe('worker versioning with patched()', () => {
  const config = loadConfig();
  const taskQueue = `versioning-${randomUUID()}`;
  let connection: Connection;
  let client: Client;
  let workerConnection: NativeConnection;
  let running: { worker: Worker; run: Promise<void> } | undefined;

  beforeAll(async () => {
    installRuntime(createLogger(config, 'test'), { logLevel: 'WARN' });
    connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    workerConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  });
  afterAll(async () => {
    await stopWorker();
    await workerConnection.close();
    await connection.close();
  });

  /** A deploy: the worker running `version` of the workflow code replaces any other on the task queue. */
  async function deploy(version: Version): Promise<void> {
    await stopWorker();
    const worker = await Worker.create({
      connection: workerConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue,
      workflowsPath: workflowsPath(version),
      activities: packingActivities,
    });
    running = { worker, run: worker.run() };
  }

  async function stopWorker(): Promise<void> {
    if (!running) return;
    running.worker.shutdown();
    await running.run;
    running = undefined;
  }

  const startPacking = (label: string) =>
    client.workflow.start<typeof packOrder>('packOrder', { taskQueue, workflowId: `pack-${label}-${randomUUID()}` });

  it('when v2 is deployed while a v1 execution waits, then that one finishes on the old path and a new one takes the new path', async () => {
    await deploy('v1');
    const old = await startPacking('old');
    // v1 wrapped the order (its history holds the activity) and waits for the signal.
    while ((await old.query(stepsQuery)).length === 0) await sleep(100);

    await deploy('v2');
    await old.signal(shipSignal);
    const fresh = await startPacking('new');
    await fresh.signal(shipSignal);

    expect(await old.result()).toEqual(['wrapped plainly', 'shipped']);
    expect(await fresh.result()).toEqual(['wrapped as a gift', 'shipped']);
    expect(await changeVersions(old)).toEqual([]);
    expect(await changeVersions(fresh)).toEqual([GIFT_WRAP_PATCH]);

    // Why the guard: the same change without it cannot replay what v1 recorded.
    const history = await old.fetchHistory();
    await expect(Worker.runReplayHistory({ workflowsPath: workflowsPath('v2') }, history)).resolves.toBeUndefined();
    await expect(Worker.runReplayHistory({ workflowsPath: workflowsPath('v2-unpatched') }, history)).rejects.toThrow(
      DeterminismViolationError,
    );
  });
});
