import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { createApiServices } from '../src/api/app';
import { createApiMetrics } from '../src/api/metrics';
import { connectTemporal } from '../src/clients/temporal';
import { createLogger } from '../src/logger';
import { sleep } from '../tools/lib/wait';
import { startPulseCart, type Harness } from './support/harness';
import { expectSaleInvariants, waitForRest } from './support/invariants';

describe('purchase status', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPulseCart({ SYNC_DEADLINE_MS: 1000 }, { withWorker: false });
  });
  afterAll(() => h.close());

  it('when no worker is running, then polling still answers PENDING, and the purchase completes once a worker starts', async () => {
    const { id: productId } = await h.createProduct({ stock: 2 });
    const token = await h.token(h.buyer());

    const accepted = await h.request('POST', '/api/v1/async/purchase', { token, body: { productId, quantity: 1 } });
    expect(accepted.status).toBe(202);
    const { trackingId, statusUrl } = accepted.body;

    const pending = await h.request('GET', statusUrl, { token });
    expect(pending.status).toBe(200);
    expect(pending.body).toEqual({ trackingId, status: 'PENDING', productId, quantity: 1 });
    // The admission gate already holds the unit for this purchase.
    expect((await h.request('GET', `/api/v1/products/${productId}`)).body).toMatchObject({ stock: 2, available: 1 });

    await h.startWorker();
    const statuses = await waitForRest(h, [trackingId]);
    expect(statuses.get(trackingId)).toBe('CONFIRMED');
    const done = await h.request('GET', statusUrl, { token });
    expect(done.body).toEqual({ trackingId, status: 'CONFIRMED', productId, quantity: 1, orderId: expect.any(Number) });

    await expectSaleInvariants(h, { productId, initialStock: 2, maxPerUser: 1, accepted: [trackingId] });
  });

  it('when a sync purchase outlives SYNC_DEADLINE_MS, then the buyer gets 202 with a trackingId to poll', async () => {
    await h.stopWorker();
    const { id: productId } = await h.createProduct({ stock: 1 });
    const token = await h.token(h.buyer());

    const answered = await h.request('POST', '/api/v1/sync/purchase', { token, body: { productId, quantity: 1 } });
    expect(answered.status).toBe(202);
    expect(answered.body).toMatchObject({ status: 'PENDING', trackingId: expect.any(String) });
    expect(answered.headers.get('location')).toBe(answered.body.statusUrl);

    await h.startWorker();
    await expectSaleInvariants(h, { productId, initialStock: 1, maxPerUser: 1, accepted: [answered.body.trackingId] });
  });
});

describe('purchase status without Temporal', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPulseCart();
  });
  afterAll(() => h.close());

  /** The API's services over a Temporal client that notes every call it makes to the real Temporal Service. */
  async function observedServices() {
    const calls: string[] = [];
    const noting: Interceptor = (options, nextCall) => {
      calls.push(options.method_definition.path.split('/').pop() ?? '');
      return new InterceptingCall(nextCall(options));
    };
    const temporal = await connectTemporal(h.config, { interceptors: [noting] });
    const { pool, redis, amqp, inventory } = h;
    const services = createApiServices(
      h.config,
      { pool, redis, amqp, temporal, inventory },
      { logger: createLogger(h.config, 'test'), metrics: createApiMetrics() },
    );
    const close = async () => {
      await services.outcomes.close();
      await temporal.connection.close();
    };
    // The client asks the server what it supports once (GetSystemInfo); everything else is the API's own doing.
    const purchaseCalls = () => calls.filter((call) => call !== 'GetSystemInfo');
    return { purchases: services.purchases, purchaseCalls, close };
  }

  it('when buyers buy and read their purchases, then the API only starts workflows: no describe, no result long poll', async () => {
    const { id: productId } = await h.createProduct({ stock: 2 });
    const api = await observedServices();
    const buyer = { userId: h.buyer(), isAdmin: false };
    try {
      const bought = await api.purchases.purchase('sync', { userId: buyer.userId, productId, quantity: 1 });
      expect(bought).toMatchObject({ status: 'CONFIRMED', orderId: expect.any(Number) });
      expect(await api.purchases.view(bought.trackingId, buyer)).toEqual(bought);
      await expect(api.purchases.view(bought.trackingId, { userId: h.buyer(), isAdmin: false })).rejects.toMatchObject({
        httpStatus: 404,
      });
      expect(api.purchaseCalls().filter((call) => call !== 'StartWorkflowExecution')).toEqual([]);
      await expectSaleInvariants(h, { productId, initialStock: 2, maxPerUser: 1, accepted: [bought.trackingId] });
    } finally {
      await api.close();
    }
  });

  it('when a buyer reads with ?wait while the purchase is pending, then one read answers as soon as it ends', async () => {
    const { id: productId } = await h.createProduct({ stock: 2 });
    const api = await observedServices();
    const buyer = { userId: h.buyer(), isAdmin: false };
    try {
      await h.stopWorker();
      const accepted = await api.purchases.purchase('async', { userId: buyer.userId, productId, quantity: 1 });
      expect(accepted.status).toBe('PENDING');
      const waited = api.purchases.view(accepted.trackingId, buyer, 20_000);
      await sleep(500);
      await h.startWorker();
      expect(await waited).toMatchObject({ status: 'CONFIRMED', trackingId: accepted.trackingId });
      expect(api.purchaseCalls().filter((call) => call !== 'StartWorkflowExecution')).toEqual([]);

      const token = await h.token(buyer.userId);
      const overHttp = await h.request('GET', `/api/v1/purchases/${accepted.trackingId}?wait=5`, { token });
      expect(overHttp.body.status).toBe('CONFIRMED');
      const tooLong = await h.request('GET', `/api/v1/purchases/${accepted.trackingId}?wait=31`, { token });
      expect(tooLong.status).toBe(400);
    } finally {
      await api.close();
    }
  });
});
