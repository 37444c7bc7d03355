/**
 * A sync buyer holds its connection until its purchase ends or SYNC_DEADLINE_MS
 * passes; an async buyer has its tracking id and reads the status when it likes.
 * So when purchases queue in Temporal's task queue (a sale admits faster than
 * purchases drain), the sync ones are matched first: they start with a higher
 * task-queue priority (the dev server runs with `matching.useNewMatcher`).
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createApiMetrics } from '../src/api/metrics';
import { temporalDataConverter } from '../src/clients/temporal';
import { createLogger } from '../src/logger';
import { CoalescingPublisher } from '../src/stock-events/coalescing-publisher';
import { createPurchaseActivities } from '../src/activities/purchase';
import { workflowBundle } from '../src/workers/workflow-bundle';
import { startPulseCart, type Harness } from './support/harness';
import { expectSaleInvariants, waitForRest } from './support/invariants';

const ASYNC_BUYERS = 5;

describe('purchases waiting in the task queue', () => {
  let h: Harness;
  beforeAll(async () => {
    // No worker polls until the test says so; a sync buyer is answered PENDING after 200 ms instead of 5 s.
    h = await startPulseCart({ SYNC_DEADLINE_MS: 200 }, { withWorker: false });
  });
  afterAll(() => h.close());

  /**
   * A purchase worker that takes one workflow task at a time, in the order Temporal hands them out. No sticky
   * queue (no workflow cache): with one slot, a sticky poll would hold it while the purchases wait on the normal queue.
   */
  async function oneAtATimeWorker(): Promise<{ stop(): Promise<void> }> {
    const connection = await NativeConnection.connect({ address: h.config.TEMPORAL_ADDRESS });
    const logger = createLogger(h.config, 'test');
    const publisher = new CoalescingPublisher(h.services.publisher, { intervalMs: 10, logger });
    const worker = await Worker.create({
      connection,
      namespace: h.config.TEMPORAL_NAMESPACE,
      dataConverter: temporalDataConverter(h.config),
      taskQueue: h.taskQueue,
      workflowBundle: await workflowBundle(h.config.WORKFLOW_BUNDLE_DIR),
      activities: createPurchaseActivities({
        pool: h.pool,
        inventory: h.inventory,
        publisher,
        outcomes: h.services.outcomes,
        sales: createApiMetrics().sales,
        logger,
      }),
      maxConcurrentWorkflowTaskExecutions: 1,
      maxCachedWorkflows: 0,
    });
    const running = worker.run();
    return {
      async stop() {
        worker.shutdown();
        await running;
        await publisher.close();
        await connection.close();
      },
    };
  }

  it('when async purchases are queued before a sync one, then the sync purchase is committed first', async () => {
    const stock = ASYNC_BUYERS + 1;
    const { id: productId } = await h.createProduct({ stock });
    const buy = async (pattern: 'sync' | 'async') => {
      const reply = await h.request('POST', `/api/v1/${pattern}/purchase`, {
        token: await h.token(h.buyer(pattern)),
        body: { productId, quantity: 1 },
      });
      expect(reply.status).toBe(202);
      return reply.body.trackingId as string;
    };
    const asyncIds: string[] = [];
    for (let i = 0; i < ASYNC_BUYERS; i += 1) asyncIds.push(await buy('async'));
    const syncId = await buy('sync');

    const worker = await oneAtATimeWorker();
    try {
      await waitForRest(h, [...asyncIds, syncId]);
    } finally {
      await worker.stop();
    }

    const { rows } = await h.pool.query<{ tracking_id: string }>(
      'SELECT tracking_id FROM orders WHERE product_id = $1 ORDER BY id',
      [productId],
    );
    // Queued last, committed first (in the order they were queued, it would be last). A dev server started before
    // tools/temporal.ts set matching.useNewMatcher ignores priority: stop it, and the tests start a new one.
    expect(rows.map((r) => r.tracking_id)[0]).toBe(syncId);
    expect(rows.map((r) => r.tracking_id).sort()).toEqual([syncId, ...asyncIds].sort());
    await expectSaleInvariants(h, { productId, initialStock: stock, maxPerUser: 1, accepted: [...asyncIds, syncId] });
  });
});
