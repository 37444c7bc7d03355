import { sleep } from '../tools/lib/wait';
import { startPulseCart, type Harness } from './support/harness';
import { expectSaleInvariants } from './support/invariants';

describe('purchase rules', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPulseCart();
  });
  afterAll(() => h.close());

  const buy = async (pattern: 'sync' | 'async', token: string, productId: number, quantity = 1, key?: string) =>
    h.request('POST', `/api/v1/${pattern}/purchase`, {
      token,
      body: { productId, quantity },
      headers: key ? { 'idempotency-key': key } : {},
    });

  it('when a buyer reaches maxPerUser, then the next purchase gets 409 PURCHASE_LIMIT', async () => {
    const { id: productId } = await h.createProduct({ stock: 10, maxPerUser: 2 });
    const alice = await h.token(h.buyer('alice'));
    const bob = await h.token(h.buyer('bob'));

    const first = await buy('sync', alice, productId);
    const second = await buy('async', alice, productId);
    const third = await buy('sync', alice, productId);
    const tooMany = await buy('sync', bob, productId, 3);

    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'CONFIRMED', productId, quantity: 1 });
    expect(first.body.orderId).toEqual(expect.any(Number));
    expect(second.status).toBe(202);
    expect(second.headers.get('location')).toBe(`/api/v1/purchases/${second.body.trackingId}`);
    expect(third.status).toBe(409);
    expect(third.body.error.code).toBe('PURCHASE_LIMIT');
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error.code).toBe('PURCHASE_LIMIT');

    await expectSaleInvariants(h, {
      productId,
      initialStock: 10,
      maxPerUser: 2,
      accepted: [first.body.trackingId, second.body.trackingId],
    });
  });

  it('when the stock is gone, then a buyer gets 409 SOLD_OUT, and asking for more than is left gets INSUFFICIENT_STOCK', async () => {
    const { id: productId } = await h.createProduct({ stock: 3, maxPerUser: 5 });
    const carol = await h.token(h.buyer('carol'));
    const dave = await h.token(h.buyer('dave'));

    const two = await buy('sync', carol, productId, 2);
    const tooMuch = await buy('sync', dave, productId, 2);
    const last = await buy('sync', dave, productId, 1);
    const soldOut = await buy('async', dave, productId, 1);

    expect(two.status).toBe(200);
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error.code).toBe('INSUFFICIENT_STOCK');
    expect(last.status).toBe(200);
    expect(soldOut.status).toBe(409);
    expect(soldOut.body.error.code).toBe('SOLD_OUT');
    const product = await h.request('GET', `/api/v1/products/${productId}`);
    expect(product.body).toMatchObject({ stock: 0, available: 0 });

    await expectSaleInvariants(h, {
      productId,
      initialStock: 3,
      maxPerUser: 5,
      accepted: [two.body.trackingId, last.body.trackingId],
    });
  });

  it('when the same Idempotency-Key is sent again and again, then every answer has one trackingId and there is one order', async () => {
    const { id: productId } = await h.createProduct({ stock: 5, maxPerUser: 3 });
    const erin = await h.token(h.buyer('erin'));

    const together = await Promise.all([
      buy('sync', erin, productId, 1, 'checkout-42'),
      buy('sync', erin, productId, 1, 'checkout-42'),
      buy('async', erin, productId, 1, 'checkout-42'),
      buy('async', erin, productId, 1, 'checkout-42'),
    ]);
    const trackingIds = new Set(together.map((r) => r.body.trackingId));
    expect(trackingIds.size).toBe(1);
    for (const r of together) expect([200, 202]).toContain(r.status);

    const later = await buy('sync', erin, productId, 1, 'checkout-42');
    expect(later.status).toBe(200);
    expect(later.body).toMatchObject({ status: 'CONFIRMED', trackingId: [...trackingIds][0] });

    const otherKey = await buy('sync', erin, productId, 1, 'checkout-43');
    expect(otherKey.status).toBe(200);
    expect(otherKey.body.trackingId).not.toBe(later.body.trackingId);

    const { confirmedQuantity } = await expectSaleInvariants(h, {
      productId,
      initialStock: 5,
      maxPerUser: 3,
      accepted: [...trackingIds, otherKey.body.trackingId],
    });
    expect(confirmedQuantity).toBe(2);
  });

  it('when an admin restocks during a sale, then PostgreSQL and Redis move together and buyers can buy again', async () => {
    const { id: productId } = await h.createProduct({ stock: 1 });
    const first = await buy('sync', await h.token(h.buyer()), productId);
    const soldOut = await buy('sync', await h.token(h.buyer()), productId);
    expect(first.status).toBe(200);
    expect(soldOut.status).toBe(409);

    const restocked = await h.request('PUT', `/api/v1/admin/products/${productId}/stock`, {
      token: await h.adminToken(),
      body: { stock: 4 },
    });
    expect(restocked.status).toBe(200);
    expect(restocked.body).toMatchObject({ id: productId, stock: 4 });
    expect((await h.request('GET', `/api/v1/products/${productId}`)).body).toMatchObject({ stock: 4, available: 4 });

    // The sold-out flag of this API instance expires within SOLD_OUT_CACHE_MS.
    await sleep(h.config.SOLD_OUT_CACHE_MS + 50);
    const after = await buy('sync', await h.token(h.buyer()), productId);
    expect(after.status).toBe(200);

    // Five units were ever put on sale: one, then four more after the first sold.
    await expectSaleInvariants(h, {
      productId,
      initialStock: 5,
      maxPerUser: 1,
      accepted: [first.body.trackingId, after.body.trackingId],
    });
  });

  it('when an admin creates a product with an explicit id, then later products without one never collide with it', async () => {
    const admin = await h.adminToken();
    const latest = await h.createProduct({ stock: 1 });
    const explicitId = latest.id + 1;
    const explicit = await h.request('POST', '/api/v1/admin/products', {
      token: admin,
      body: { id: explicitId, name: 'Explicit', price: 1, stock: 1 },
    });
    expect(explicit.status).toBe(201);
    const next = await h.createProduct({ stock: 1 });
    expect(next.id).toBeGreaterThan(explicitId);
  });
});
