import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createReconciliationActivities } from '../src/activities/reconciliation';
import { temporalDataConverter } from '../src/clients/temporal';
import { workflowIdFor, type PurchaseRequest } from '../src/domain/purchase';
import { productKeys } from '../src/inventory/inventory';
import { PurchaseOutcomes, purchaseRecordKey } from '../src/purchase-status/purchase-outcomes';
import { ReconciliationClient } from '../src/reconciliation/reconciliation-client';
import type { reconcileStock } from '../src/workflows/reconcile';
import {
  PURCHASE_WORKFLOW,
  RECONCILE_SCHEDULE_ID,
  RECONCILE_WORKFLOW,
  reconcileTaskQueue,
} from '../src/workflows/shared';
import { freePort } from '../tools/lib/ports';
import { sleep } from '../tools/lib/wait';
import { startPulseCart, type Harness } from './support/harness';
import { expectSaleInvariants } from './support/invariants';

/** Redis drifts from PostgreSQL; reconciliation brings it back. */
describe('reconciliation', () => {
  let h: Harness;
  /** The worker's Prometheus endpoint: the SDK's real meter, which refuses what its gauges cannot hold. */
  let workerMetricsUrl: string;
  beforeAll(async () => {
    const port = await freePort();
    workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
    h = await startPulseCart({}, { workerMetricsPort: port });
  });
  afterAll(() => h.close());

  const buy = async (productId: number, userId = h.buyer()) =>
    h.request('POST', '/api/v1/sync/purchase', { token: await h.token(userId), body: { productId, quantity: 1 } });

  const reconcile = async (productIds: number[]) =>
    h.request('POST', '/api/v1/admin/reconcile', { token: await h.adminToken(), body: { productIds } });

  it('when Redis offers more than PostgreSQL holds, then reconciliation reports the drift and repairs it', async () => {
    const { id: productId } = await h.createProduct({ stock: 5 });
    const first = await buy(productId);
    expect(first.status).toBe(200);
    await h.redis.hincrby(productKeys(productId)[0], 'available', 3);

    const report = await reconcile([productId]);
    expect(report.status).toBe(200);
    expect(report.body.products).toEqual([
      { productId, action: 'RECONCILED', drift: 3, available: 4, orphansReleased: 0, orphansStarted: 0 },
    ]);
    expect((await reconcile([productId])).body.products[0].drift).toBe(0);

    await expectSaleInvariants(h, { productId, initialStock: 5, maxPerUser: 1, accepted: [first.body.trackingId] });
  });

  it('when Redis offers less than PostgreSQL holds, then the first attempt repairs it and reports a negative drift', async () => {
    const { id: productId } = await h.createProduct({ stock: 5 });
    await h.redis.hincrby(productKeys(productId)[0], 'available', -3);

    const handle = await h.temporal.workflow.start<typeof reconcileStock>(RECONCILE_WORKFLOW, {
      taskQueue: reconcileTaskQueue(h.taskQueue),
      workflowId: `reconcile-${randomUUID()}`,
      args: [{ productIds: [productId] }],
    });

    expect(await handle.result()).toEqual([
      { productId, action: 'RECONCILED', drift: -3, available: 5, orphansReleased: 0, orphansStarted: 0 },
    ]);
    // The drift gauge once refused the negative value after the repair, and the activity ran again.
    const events = (await handle.fetchHistory()).events ?? [];
    const attempts = events.flatMap((e) => e.activityTaskStartedEventAttributes?.attempt ?? []);
    expect(attempts).toEqual([1]);
    const metrics = await (await fetch(workerMetricsUrl)).text();
    expect(metrics).toMatch(new RegExp(`^pulsecart_stock_drift\\{[^}]*productId="${productId}"[^}]*\\} 3$`, 'm'));
    await expectSaleInvariants(h, { productId, initialStock: 5, maxPerUser: 1, accepted: [] });
  });

  it('when many products have drifted, then one run reconciles them in pages at once and reports them in product order', async () => {
    // Three pages of the workflow's 25 products: 25, 25 and 10; one drifted product in each.
    const products: { id: number }[] = [];
    for (let i = 0; i < 60; i++) products.push(await h.createProduct({ stock: 5 }));
    const drifted = new Map([0, 30, 59].map((i, n) => [products[i].id, n + 1]));
    for (const [id, drift] of drifted) await h.redis.hincrby(productKeys(id)[0], 'available', drift);

    const handle = await h.temporal.workflow.start<typeof reconcileStock>(RECONCILE_WORKFLOW, {
      taskQueue: reconcileTaskQueue(h.taskQueue),
      workflowId: `reconcile-${randomUUID()}`,
      args: [{ productIds: products.map((p) => p.id).reverse() }],
    });
    const report = await handle.result();

    expect(report.map((r) => [r.productId, r.drift, r.available])).toEqual(
      products.map(({ id }) => [id, drifted.get(id) ?? 0, 5]),
    );
    // One activity per page, all three scheduled in the first workflow task, before any completed.
    const events = (await handle.fetchHistory()).events ?? [];
    const steps = events
      .filter((e) => e.activityTaskScheduledEventAttributes || e.activityTaskCompletedEventAttributes)
      .map((e) => (e.activityTaskScheduledEventAttributes ? 'scheduled' : 'completed'));
    expect(steps).toEqual(['scheduled', 'scheduled', 'scheduled', 'completed', 'completed', 'completed']);
    for (const id of drifted.keys()) {
      await expectSaleInvariants(h, { productId: id, initialStock: 5, maxPerUser: 1, accepted: [] });
    }
  });

  it('when a run goes over every product, then its report lists only the products it changed, so that it stays small whatever the catalogue', async () => {
    const [quiet, drifted] = [await h.createProduct({ stock: 5 }), await h.createProduct({ stock: 5 })];
    await h.redis.hincrby(productKeys(drifted.id)[0], 'available', 3);
    const report = await new ReconciliationClient(h.temporal, h.taskQueue).run();
    expect(report.find((r) => r.productId === drifted.id)).toMatchObject({ action: 'RECONCILED', drift: 3 });
    expect(report.find((r) => r.productId === quiet.id)).toBeUndefined();
    expect(
      report.every((r) => r.action === 'REBUILT' || r.drift !== 0 || r.orphansReleased + r.orphansStarted > 0),
    ).toBe(true);
    expect((await reconcile([quiet.id])).body.products).toEqual([
      { productId: quiet.id, action: 'RECONCILED', drift: 0, available: 5, orphansReleased: 0, orphansStarted: 0 },
    ]);
  });

  it('when a run started before reconciliation went by pages replays on this code, then it keeps to one product per activity', async () => {
    const products = [await h.createProduct({ stock: 5 }), await h.createProduct({ stock: 5 })];
    await h.redis.hincrby(productKeys(products[1].id)[0], 'available', 2);
    const dataConverter = temporalDataConverter(h.config);
    const taskQueue = `reconcile-before-pages-${randomUUID()}`;
    const workflowId = `reconcile-${randomUUID()}`;
    const connection = await NativeConnection.connect({ address: h.config.TEMPORAL_ADDRESS });
    try {
      const worker = await Worker.create({
        connection,
        namespace: h.config.TEMPORAL_NAMESPACE,
        taskQueue,
        dataConverter,
        workflowsPath: require.resolve('./versioning/reconcile-before-pages'),
        activities: createReconciliationActivities({
          pool: h.pool,
          inventory: h.inventory,
          temporal: h.temporal,
          purchaseTaskQueue: h.taskQueue,
          broadcast: () => undefined,
        }),
      });
      const handle = await h.temporal.workflow.start<typeof reconcileStock>(RECONCILE_WORKFLOW, {
        taskQueue,
        workflowId,
        args: [{ productIds: products.map((p) => p.id) }],
      });
      const report = await worker.runUntil(handle.result());
      expect(report.map((r) => [r.productId, r.drift])).toEqual([
        [products[0].id, 0],
        [products[1].id, 2],
      ]);
      const history = await handle.fetchHistory();

      // Without the branch for runs that began before pages, this throws DeterminismViolationError.
      await expect(
        Worker.runReplayHistory(
          { workflowsPath: require.resolve('../src/workflows'), dataConverter },
          history,
          workflowId,
        ),
      ).resolves.toBeUndefined();
    } finally {
      await connection.close();
    }
  });

  it('when a reservation has no purchase behind it (the API died before starting one), then its purchase is started and confirms, and its buyer, told PENDING until then, reads CONFIRMED', async () => {
    const { id: productId } = await h.createProduct({ stock: 4, maxPerUser: 2 });
    const [stockKey, holdersKey, reservationsKey] = productKeys(productId);
    const ghost = h.buyer('ghost');
    const orphan = randomUUID();
    const anHourAgo = Date.now() - 3_600_000;
    await h.redis
      .multi()
      .hincrby(stockKey, 'available', -2)
      .hincrby(holdersKey, ghost, 2)
      .hset(reservationsKey, orphan, `R|${ghost}|2|${anHourAgo}`)
      .exec();
    // What the API wrote before it stopped: PENDING, an hour old, with no workflow behind it.
    await new PurchaseOutcomes(h.redis, h.config.PURCHASE_STATUS_TTL_S).pending({
      trackingId: orphan,
      userId: ghost,
      productId,
      quantity: 2,
    });
    const record = JSON.parse((await h.redis.get(purchaseRecordKey(orphan))) as string);
    await h.redis.set(purchaseRecordKey(orphan), JSON.stringify({ ...record, at: anHourAgo }), 'KEEPTTL');
    const status = async () =>
      (await h.request('GET', `/api/v1/purchases/${orphan}`, { token: await h.token(ghost) })).body;
    expect(await status()).toMatchObject({ trackingId: orphan, status: 'PENDING' });

    const report = await reconcile([productId]);
    expect(report.body.products).toEqual([
      { productId, action: 'RECONCILED', drift: 0, available: 2, orphansReleased: 0, orphansStarted: 1 },
    ]);
    const ended = await h.temporal.workflow.getHandle(workflowIdFor(orphan)).result();
    expect(ended).toMatchObject({ trackingId: orphan, status: 'CONFIRMED', quantity: 2 });
    expect(await status()).toMatchObject({ trackingId: orphan, status: 'CONFIRMED', orderId: ended.orderId });
    // A second run finds it settled: nothing started twice.
    expect((await reconcile([productId])).body.products[0]).toMatchObject({ orphansReleased: 0, orphansStarted: 0 });
    await expectSaleInvariants(h, { productId, initialStock: 4, maxPerUser: 2, accepted: [orphan] });
  });

  it('when a reservation outlived its purchase (the workflow ended without settling it), then it is given back and the purchase voided', async () => {
    const { id: productId } = await h.createProduct({ stock: 4 });
    const [stockKey, holdersKey, reservationsKey] = productKeys(productId);
    const buyer = h.buyer();
    // A purchase that ended: refused by its own reserve step (more than the stock), so it holds nothing.
    const ended: PurchaseRequest = { trackingId: randomUUID(), userId: buyer, productId, quantity: 5 };
    await h.temporal.workflow.execute(PURCHASE_WORKFLOW, {
      taskQueue: h.taskQueue,
      workflowId: workflowIdFor(ended.trackingId),
      args: [ended],
    });
    // Then a reservation under its tracking id, as one left behind by a compensation that never finished.
    await h.redis
      .multi()
      .hincrby(stockKey, 'available', -1)
      .hincrby(holdersKey, buyer, 1)
      .hset(reservationsKey, ended.trackingId, `R|${buyer}|1|${Date.now() - 3_600_000}`)
      .exec();

    const report = await reconcile([productId]);
    expect(report.body.products).toEqual([
      { productId, action: 'RECONCILED', drift: 0, available: 4, orphansReleased: 1, orphansStarted: 0 },
    ]);
    expect(await h.redis.hget(reservationsKey, ended.trackingId)).toBeNull();
    // Voided: a commit of it arriving now would be refused.
    const voided = await h.pool.query('SELECT 1 FROM purchase_voids WHERE tracking_id = $1', [ended.trackingId]);
    expect(voided.rowCount).toBe(1);
    // Its buyer still reads how the workflow itself ended.
    const read = await h.request('GET', `/api/v1/purchases/${ended.trackingId}`, { token: await h.token(buyer) });
    expect(read.body).toMatchObject({ trackingId: ended.trackingId, status: 'REJECTED' });
    await expectSaleInvariants(h, { productId, initialStock: 4, maxPerUser: 1, accepted: [] });
  });

  it('when a stale PENDING record has neither a workflow nor units held (its start failed, its units went back), then it is not found', async () => {
    const { id: productId } = await h.createProduct({ stock: 1 });
    const buyer = h.buyer();
    const trackingId = randomUUID();
    await new PurchaseOutcomes(h.redis, h.config.PURCHASE_STATUS_TTL_S).pending({
      trackingId,
      userId: buyer,
      productId,
      quantity: 1,
    });
    const record = JSON.parse((await h.redis.get(purchaseRecordKey(trackingId))) as string);
    await h.redis.set(purchaseRecordKey(trackingId), JSON.stringify({ ...record, at: 0 }), 'KEEPTTL');

    const read = await h.request('GET', `/api/v1/purchases/${trackingId}`, { token: await h.token(buyer) });
    expect([read.status, read.body.error?.code]).toEqual([404, 'PURCHASE_NOT_FOUND']);
  });

  it('when Redis has lost a product, then the gate stays closed (503) until it is rebuilt from PostgreSQL, then sells again', async () => {
    const { id: productId } = await h.createProduct({ stock: 3, maxPerUser: 1 });
    const alice = h.buyer('alice');
    const before = await buy(productId, alice);
    expect(before.status).toBe(200);
    await h.redis.del(...productKeys(productId));

    const closed = await buy(productId);
    expect(closed.status).toBe(503);
    expect(closed.body.error.code).toBe('STOCK_UNAVAILABLE');

    // The gate asked for a rebuild; it lands within moments.
    let after = closed;
    const deadline = Date.now() + 20_000;
    while (after.status === 503 && Date.now() < deadline) {
      await sleep(200);
      after = await buy(productId);
    }
    expect(after.status).toBe(200);
    // What each buyer holds came back from the orders: alice is still at her limit.
    const again = await buy(productId, alice);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('PURCHASE_LIMIT');

    await expectSaleInvariants(h, {
      productId,
      initialStock: 3,
      maxPerUser: 1,
      accepted: [before.body.trackingId, after.body.trackingId],
    });
  });

  it('when the minute schedule aims at another task queue, then a worker that owns it makes it anew on its own', async () => {
    const schedule = h.temporal.schedule.getHandle(RECONCILE_SCHEDULE_ID);
    const before = await schedule.describe().catch(() => undefined);
    try {
      await new ReconciliationClient(h.temporal, 'elsewhere').ensureSchedule();
      expect((await schedule.describe()).action.taskQueue).toBe(reconcileTaskQueue('elsewhere'));
      await new ReconciliationClient(h.temporal, h.taskQueue).ensureSchedule();
      const mine = await schedule.describe();
      expect(mine.action.taskQueue).toBe(reconcileTaskQueue(h.taskQueue));
      expect(mine.spec.intervals).toEqual([expect.objectContaining({ every: 60_000 })]);
    } finally {
      // Hand it back to whoever had it (the dev server's own workers), or leave none.
      if (before)
        await new ReconciliationClient(h.temporal, before.action.taskQueue.replace(/-reconcile$/, '')).ensureSchedule();
      else await schedule.delete();
    }
  });
});
