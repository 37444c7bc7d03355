/**
 * Worker Versioning (Worker Deployments), the way docs/operations.md tells
 * operators to roll out a worker build: each worker declares its deployment
 * version, executions are pinned to the build that started them, and the
 * operator moves new executions over with a ramp, then makes the new build
 * current, and can roll back. The same packOrder workflow as versioning.test.ts:
 * v2 here is the change *without* `patched()`, safe because no execution
 * pinned to v1 is ever replayed on v2.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { installRuntime } from '../src/workers/runtime';
import { sleep } from '../tools/lib/wait';
import { pinnedBuildOf, setCurrentVersion, setRampingVersion } from './support/worker-deployments';
import { packingActivities, shipSignal, stepsQuery } from './versioning/shared';
import type { packOrder } from './versioning/v1';

type Build = 'v1' | 'v2';
const CODE: Record<Build, string> = {
  v1: require.resolve('./versioning/v1'),
  v2: require.resolve('./versioning/v2-unpatched'),
};
const PLAIN = ['wrapped plainly', 'shipped'];
const GIFT = ['wrapped as a gift', 'shipped'];
const RAMPED_STARTS = 20;

describe('worker versioning with worker deployments', () => {
  const config = loadConfig();
  const namespace = config.TEMPORAL_NAMESPACE;
  const taskQueue = `deployments-${randomUUID()}`;
  const deploymentName = `packing-${randomUUID()}`;
  let connection: Connection;
  let client: Client;
  let workerConnection: NativeConnection;
  const running: { worker: Worker; run: Promise<void> }[] = [];

  beforeAll(async () => {
    installRuntime(createLogger(config, 'test'), { logLevel: 'WARN' });
    connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    client = new Client({ connection, namespace });
    workerConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  });
  afterAll(async () => {
    for (const { worker } of running) worker.shutdown();
    await Promise.all(running.map(({ run }) => run));
    await workerConnection.close();
    await connection.close();
  });

  /** A worker of one build, alongside the others: versioned workers of several builds share the task queue. */
  async function deploy(buildId: Build): Promise<void> {
    const worker = await Worker.create({
      connection: workerConnection,
      namespace,
      taskQueue,
      workflowsPath: CODE[buildId],
      activities: packingActivities,
      workerDeploymentOptions: {
        version: { deploymentName, buildId },
        useWorkerVersioning: true,
        defaultVersioningBehavior: 'PINNED',
      },
    });
    running.push({ worker, run: worker.run() });
  }

  const setCurrent = (buildId: Build) => setCurrentVersion(client, { deploymentName, buildId });
  const setRamping = (buildId: Build, percentage: number) =>
    setRampingVersion(client, { deploymentName, buildId }, percentage);

  const startPacking = (label: string) =>
    client.workflow.start<typeof packOrder>('packOrder', { taskQueue, workflowId: `pack-${label}-${randomUUID()}` });

  async function shipped(handle: WorkflowHandle<typeof packOrder>): Promise<string[]> {
    await handle.signal(shipSignal);
    return handle.result();
  }

  it('when v2 is ramped then made current, then new executions move to v2 while one pinned to v1 finishes on v1; rollback sends new ones to v1 again', async () => {
    await deploy('v1');
    await setCurrent('v1');
    const old = await startPacking('old');
    while ((await old.query(stepsQuery)).length === 0) await sleep(100);
    expect(await pinnedBuildOf(old)).toBe('v1');

    await deploy('v2');
    await setRamping('v2', 50);
    const ramped = await Promise.all(Array.from({ length: RAMPED_STARTS }, (_, i) => startPacking(`ramp-${i}`)));
    const rampedResults = await Promise.all(ramped.map(shipped));
    expect(rampedResults.filter((steps) => steps[0] === GIFT[0]).length).toBeGreaterThan(0);
    expect(rampedResults.filter((steps) => steps[0] === PLAIN[0]).length).toBeGreaterThan(0);

    await setCurrent('v2');
    const fresh = await startPacking('new');
    expect(await shipped(fresh)).toEqual(GIFT);
    expect(await pinnedBuildOf(fresh)).toBe('v2');
    expect(await shipped(old)).toEqual(PLAIN);
    expect(await pinnedBuildOf(old)).toBe('v1');

    await setCurrent('v1');
    const afterRollback = await startPacking('rollback');
    expect(await shipped(afterRollback)).toEqual(PLAIN);
    expect(await pinnedBuildOf(afterRollback)).toBe('v1');
  });
});
