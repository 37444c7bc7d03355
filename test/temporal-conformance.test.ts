/**
 * What PulseCart relies on from Temporal, checked against the server given by
 * TEMPORAL_ADDRESS with the real SDK Worker and Client. The restart case runs
 * its own private dev server, so it never disturbs the shared one.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CancelledFailure,
  Client,
  Connection,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { isListening } from '../tools/lib/ports';
import { sleep } from '../tools/lib/wait';
import { ensureDevServer } from '../tools/temporal';
import { createActivities } from './conformance/activities';
import { addUpdate, approveSignal, closeSignal, PRODUCT_ID, statusQuery, totalQuery } from './conformance/shared';
import { approval, counter, flaky, greeting, hold, sleeper, tagged } from './conformance/workflows';

const NAMESPACE = 'default';
const WORKFLOWS_PATH = require.resolve('./conformance/workflows');
/** Visibility (List) is eventually consistent; Describe is not. */
const VISIBILITY_DEADLINE_MS = 30_000;

function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** Polls until `probe` answers something other than undefined, or fails at the deadline. */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await probe();
    if (answer !== undefined) return answer;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

async function eventTypes(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((event) =>
    Object.keys(event).filter((key) => key.endsWith('EventAttributes') && event[key as keyof typeof event]),
  );
}

interface TemporalUnderTest {
  client: Client;
  taskQueue: string;
  start<T extends Workflow>(workflow: T, ...args: Parameters<T>): Promise<WorkflowHandleWithFirstExecutionRunId<T>>;
  close(): Promise<void>;
}

/** A client and a running worker on a task queue of their own; `close` terminates what was left running. */
async function connectWithWorker(address: string, released: Set<string>): Promise<TemporalUnderTest> {
  const taskQueue = uniqueId('conformance');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: NAMESPACE });
  const workerConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: workerConnection,
    namespace: NAMESPACE,
    taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: createActivities(released),
  });
  const running = worker.run();
  const started: WorkflowHandle[] = [];

  return {
    client,
    taskQueue,
    async start(workflow, ...args) {
      const options: WorkflowStartOptions = { taskQueue, workflowId: uniqueId(workflow.name), args };
      const handle = await client.workflow.start<Workflow>(workflow, options);
      started.push(handle);
      // The SDK types options per workflow; `args` is already checked against T by this signature.
      return handle as WorkflowHandleWithFirstExecutionRunId<typeof workflow>;
    },
    async close() {
      for (const handle of started) {
        const { status } = await handle.describe().catch(() => ({ status: undefined }));
        if (status?.name === 'RUNNING') await handle.terminate('conformance test cleanup');
      }
      worker.shutdown();
      await running;
      await workerConnection.close();
      await connection.close();
    },
  };
}

describe('Temporal conformance', () => {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const released = new Set<string>();
  let temporal: TemporalUnderTest;

  beforeAll(async () => {
    temporal = await connectWithWorker(address, released);
  });

  afterAll(async () => {
    await temporal?.close();
  });

  test('when a workflow calls an activity, then its result is the activity result', async () => {
    const handle = await temporal.start(greeting, 'buyer');

    expect(await handle.result()).toBe('Hello, buyer');
    expect(await eventTypes(handle)).toContain('activityTaskCompletedEventAttributes');
  });

  test('when an activity fails twice, then the server retries it and the third attempt succeeds', async () => {
    const handle = await temporal.start(flaky, 2);

    expect(await handle.result()).toBe(3);
    const history = await handle.fetchHistory();
    const started = history.events?.find((event) => event.activityTaskStartedEventAttributes);
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(3);
    expect(started?.activityTaskStartedEventAttributes?.lastFailure?.message).toBe('attempt 2 fails on purpose');
  });

  test('when a workflow sleeps, then a durable timer fires after the requested time', async () => {
    const sleepMs = 1000;
    const startedAt = Date.now();
    const handle = await temporal.start(sleeper, sleepMs);

    expect(await handle.result()).toBeGreaterThanOrEqual(sleepMs);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(sleepMs);
    expect(await eventTypes(handle)).toEqual(
      expect.arrayContaining(['timerStartedEventAttributes', 'timerFiredEventAttributes']),
    );
  });

  test('when a signal arrives, then the waiting workflow resumes with its payload', async () => {
    const handle = await temporal.start(approval);

    await handle.signal(approveSignal, 'ops-lead');

    expect(await handle.result()).toBe('ops-lead');
    expect(await eventTypes(handle)).toContain('workflowExecutionSignaledEventAttributes');
  });

  test('when a workflow is queried, then it answers its state without adding history', async () => {
    const handle = await temporal.start(approval);

    expect(await handle.query(statusQuery)).toBe('WAITING');
    const lengthBefore = (await handle.describe()).historyLength;
    expect(await handle.query(statusQuery)).toBe('WAITING');
    expect((await handle.describe()).historyLength).toBe(lengthBefore);

    await handle.signal(approveSignal, 'ops-lead');
    await handle.result();
    expect(await handle.query(statusQuery)).toBe('APPROVED');
  });

  test('when an update is sent, then the workflow applies it and returns its result', async () => {
    const handle = await temporal.start(counter, 10);

    expect(await handle.executeUpdate(addUpdate, { args: [5] })).toBe(15);
    expect(await handle.executeUpdate(addUpdate, { args: [2] })).toBe(17);

    await handle.signal(closeSignal);
    expect(await handle.result()).toBe(17);
  });

  test('when an update fails validation, then it is rejected and the state is unchanged', async () => {
    const handle = await temporal.start(counter, 10);

    const err = await rejectionOf(handle.executeUpdate(addUpdate, { args: [-3] }));

    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause?.message).toBe('amount must be positive, got -3');
    expect(await handle.query(totalQuery)).toBe(10);
    await handle.signal(closeSignal);
    expect(await handle.result()).toBe(10);
  });

  test('when update-with-start is sent twice with USE_EXISTING, then one workflow starts and takes both updates', async () => {
    const workflowId = uniqueId('counter-with-start');
    const startOperation = () =>
      new WithStartWorkflowOperation(counter, {
        workflowId,
        taskQueue: temporal.taskQueue,
        args: [10],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    const first = startOperation();
    const second = startOperation();

    expect(
      await temporal.client.workflow.executeUpdateWithStart(addUpdate, { args: [5], startWorkflowOperation: first }),
    ).toBe(15);
    expect(
      await temporal.client.workflow.executeUpdateWithStart(addUpdate, { args: [1], startWorkflowOperation: second }),
    ).toBe(16);

    const [firstRun, secondRun] = await Promise.all([first.workflowHandle(), second.workflowHandle()]);
    expect((await secondRun.describe()).runId).toBe((await firstRun.describe()).runId);
    await firstRun.signal(closeSignal);
    expect(await firstRun.result()).toBe(16);
  });

  test('when a workflow is cancelled, then it observes CancelledFailure, compensates, and its result rejects', async () => {
    const holdId = uniqueId('hold');
    const handle = await temporal.start(hold, holdId);
    await eventually(
      async () => ((await eventTypes(handle)).includes('timerStartedEventAttributes') ? true : undefined),
      10_000,
      'the hold timer to start',
    );

    await handle.cancel();
    const err = await rejectionOf(handle.result());

    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(released.has(holdId)).toBe(true);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });

  test('when a workflow upserts ProductId, then a List query by ProductId finds it', async () => {
    const productId = uniqueId('product');
    const handle = await temporal.start(tagged, productId);

    expect(await handle.result()).toBe(productId);
    expect((await handle.describe()).typedSearchAttributes.get(PRODUCT_ID)).toBe(productId);
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const execution of temporal.client.workflow.list({ query: `ProductId = '${productId}'` })) {
          ids.push(execution.workflowId);
        }
        return ids.length > 0 ? ids : undefined;
      },
      VISIBILITY_DEADLINE_MS,
      `a visibility record with ProductId ${productId}`,
    );
    expect(found).toEqual([handle.workflowId]);
  });

  test('when a workflow is described, then it reports type, queue and status, strongly consistent', async () => {
    const handle = await temporal.start(approval);

    const running = await handle.describe();
    expect(running).toMatchObject({
      type: 'approval',
      workflowId: handle.workflowId,
      taskQueue: temporal.taskQueue,
      status: { name: 'RUNNING' },
    });
    expect(running.closeTime).toBeUndefined();

    await handle.signal(approveSignal, 'ops-lead');
    await handle.result();
    const completed = await handle.describe();
    expect(completed.status.name).toBe('COMPLETED');
    expect(completed.runId).toBe(running.runId);
    expect(completed.closeTime).toBeInstanceOf(Date);
  });

  test('when a workflow id is already running, then a second start with conflict policy FAIL is rejected as duplicate', async () => {
    const handle = await temporal.start(approval);

    const err = await rejectionOf(
      temporal.client.workflow.start(approval, {
        taskQueue: temporal.taskQueue,
        workflowId: handle.workflowId,
        workflowIdConflictPolicy: 'FAIL',
      }),
    );

    expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect((err as WorkflowExecutionAlreadyStartedError).workflowId).toBe(handle.workflowId);
    const { runId, status } = await handle.describe();
    expect(status.name).toBe('RUNNING');
    expect(runId).toBe(handle.firstExecutionRunId);
    await handle.signal(approveSignal, 'ops-lead');
    await handle.result();
  });
});

describe('Temporal conformance on a private dev server that restarts', () => {
  const PRIVATE = { ip: '127.0.0.1', port: 7299, uiPort: 8299 };
  let dataDir: string;
  let serverPid: number | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'pulsecart-temporal-'));
  });

  async function startPrivateServer(): Promise<string> {
    if (await isListening(PRIVATE.ip, PRIVATE.port)) {
      throw new Error(`port ${PRIVATE.port} is taken: the restart case needs a dev server of its own there`);
    }
    const server = await ensureDevServer({ ...PRIVATE, dataDir });
    serverPid = server.pid;
    return server.address;
  }

  /** SIGTERM, then wait until the process is gone, so nothing holds the SQLite file when it starts again. */
  async function stopPrivateServer(): Promise<void> {
    if (serverPid === undefined) return;
    const pid = serverPid;
    process.kill(pid, 'SIGTERM');
    await eventually(
      async () => (isAlive(pid) || (await isListening(PRIVATE.ip, PRIVATE.port)) ? undefined : true),
      30_000,
      `the private dev server (pid ${pid}) to exit and close its port`,
    );
    serverPid = undefined;
  }

  afterAll(async () => {
    await stopPrivateServer();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('when the server restarts on the same data, then waiting workflows are still running and then complete', async () => {
    const address = await startPrivateServer();
    const temporal = await connectWithWorker(address, new Set());
    try {
      const waiting = await temporal.start(approval);
      const timed = await temporal.start(sleeper, 5000);
      expect(await waiting.query(statusQuery)).toBe('WAITING');
      expect((await timed.describe()).status.name).toBe('RUNNING');

      await stopPrivateServer();
      await startPrivateServer();

      expect((await waiting.describe()).status.name).toBe('RUNNING');
      await waiting.signal(approveSignal, 'after-restart');
      expect(await waiting.result()).toBe('after-restart');
      expect(await timed.result()).toBeGreaterThanOrEqual(5000);
    } finally {
      await temporal.close();
    }
  });
});
