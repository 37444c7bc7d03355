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
