import { startPulseCart, type Harness, type RequestOptions } from './support/harness';
import { productKeys } from '../src/inventory/inventory';

/**
 * Every bad input in the contract: a 4xx with the error shape, never a 5xx or
 * a stack trace, and the stock exactly as it was.
 */
describe('bad input', () => {
  let h: Harness;
  let productId: number;
  let buyer: string;
  let token: string;

  beforeAll(async () => {
    h = await startPulseCart();
    ({ id: productId } = await h.createProduct({ stock: 5, maxPerUser: 2 }));
    buyer = h.buyer();
    token = await h.token(buyer);
  });
  afterAll(() => h.close());

  async function stockState() {
    const [stockKey, holdersKey, reservationsKey] = productKeys(productId);
    const product = await h.pool.query('SELECT stock_quantity FROM product WHERE id = $1', [productId]);
    const orders = await h.pool.query('SELECT count(*)::int AS n FROM orders WHERE product_id = $1', [productId]);
    return {
      pg: product.rows[0].stock_quantity,
      orders: orders.rows[0].n,
      available: await h.redis.hget(stockKey, 'available'),
      holders: await h.redis.hgetall(holdersKey),
      reservations: await h.redis.hlen(reservationsKey),
    };
  }

  async function expectRejected(
    method: string,
    path: string,
    options: RequestOptions,
    status: number,
    code: string,
  ): Promise<void> {
    const before = await stockState();
    const response = await h.request(method, path, options);
    expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
    expect(typeof response.body.error.message).toBe('string');
    expect(JSON.stringify(response.body)).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+/);
    expect(await stockState()).toEqual(before);
  }

  const purchase = (body: unknown, extra: Partial<RequestOptions> = {}) => ({ token, body, ...extra });

  describe.each(['sync', 'async'])('POST /api/v1/%s/purchase', (pattern) => {
    const path = `/api/v1/${pattern}/purchase`;

    it.each([
      ['the body is not JSON', () => ({ token, rawBody: '{"productId": 1,' })],
      ['quantity is missing', () => purchase({ productId })],
      ['productId is missing', () => purchase({ quantity: 1 })],
      ['there is an extra field', () => purchase({ productId, quantity: 1, price: 0 })],
      ['quantity is negative', () => purchase({ productId, quantity: -1 })],
      ['quantity is zero', () => purchase({ productId, quantity: 0 })],
      ['quantity is huge', () => purchase({ productId, quantity: 1e12 })],
      ['quantity is not an integer', () => purchase({ productId, quantity: 1.5 })],
      ['quantity is a string', () => purchase({ productId, quantity: '1' })],
      ['productId is a string', () => purchase({ productId: String(productId), quantity: 1 })],
      ['the body is an array', () => purchase([productId, 1])],
      ['the body is empty', () => ({ token })],
      [
        'the Idempotency-Key has spaces',
        () => purchase({ productId, quantity: 1 }, { headers: { 'idempotency-key': 'a b' } }),
      ],
      [
        'the Idempotency-Key is empty',
        () => purchase({ productId, quantity: 1 }, { headers: { 'idempotency-key': '' } }),
      ],
    ])('when %s, then 400 VALIDATION_FAILED', async (_case, options) => {
      await expectRejected('POST', path, options(), 400, 'VALIDATION_FAILED');
    });

    it('when the product does not exist, then 404 PRODUCT_NOT_FOUND', async () => {
      await expectRejected('POST', path, purchase({ productId: 987_654_321, quantity: 1 }), 404, 'PRODUCT_NOT_FOUND');
    });

    it('when there is no token, then 401 UNAUTHENTICATED', async () => {
      await expectRejected('POST', path, { body: { productId, quantity: 1 } }, 401, 'UNAUTHENTICATED');
    });

    it('when the token is signed with another secret, then 401 UNAUTHENTICATED', async () => {
      const forged = await h.token(buyer, { secret: 'not-the-secret-of-this-server' });
      await expectRejected('POST', path, { token: forged, body: { productId, quantity: 1 } }, 401, 'UNAUTHENTICATED');
    });

    it('when the token has expired, then 401 UNAUTHENTICATED', async () => {
      const expired = await h.token(buyer, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
      await expectRejected('POST', path, { token: expired, body: { productId, quantity: 1 } }, 401, 'UNAUTHENTICATED');
    });

    it('when the token says alg "none", then 401 UNAUTHENTICATED', async () => {
      const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
      const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: buyer, roles: ['admin'] })}.`;
      await expectRejected('POST', path, { token: unsigned, body: { productId, quantity: 1 } }, 401, 'UNAUTHENTICATED');
    });

    it('when the Authorization header is not a Bearer token, then 401 UNAUTHENTICATED', async () => {
      const options = {
        headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
        body: { productId, quantity: 1 },
      };
      await expectRejected('POST', path, options, 401, 'UNAUTHENTICATED');
    });
  });

  describe('admin routes', () => {
    it('when a buyer creates a product, then 403 FORBIDDEN', async () => {
      await expectRejected(
        'POST',
        '/api/v1/admin/products',
        { token, body: { name: 'x', price: 1, stock: 1 } },
        403,
        'FORBIDDEN',
      );
    });

    it('when a buyer restocks, then 403 FORBIDDEN', async () => {
      await expectRejected(
        'PUT',
        `/api/v1/admin/products/${productId}/stock`,
        { token, body: { stock: 999 } },
        403,
        'FORBIDDEN',
      );
    });

    it.each([
      ['a negative stock', { stock: -1 }],
      ['a fractional stock', { stock: 1.5 }],
      ['no stock', {}],
      ['an extra field', { stock: 5, price: 1 }],
    ])('when a restock has %s, then 400 VALIDATION_FAILED', async (_case, body) => {
      const admin = await h.adminToken();
      await expectRejected(
        'PUT',
        `/api/v1/admin/products/${productId}/stock`,
        { token: admin, body },
        400,
        'VALIDATION_FAILED',
      );
    });

    it.each([
      ['no name', { price: 1, stock: 1 }],
      ['a negative price', { name: 'x', price: -1, stock: 1 }],
      ['a price with three decimals', { name: 'x', price: 1.234, stock: 1 }],
      ['a zero maxPerUser', { name: 'x', price: 1, stock: 1, maxPerUser: 0 }],
      ['a name of 101 characters', { name: 'x'.repeat(101), price: 1, stock: 1 }],
    ])('when a new product has %s, then 400 VALIDATION_FAILED', async (_case, body) => {
      await expectRejected(
        'POST',
        '/api/v1/admin/products',
        { token: await h.adminToken(), body },
        400,
        'VALIDATION_FAILED',
      );
    });

    it('when a product id is taken, then 409 PRODUCT_EXISTS', async () => {
      const body = { id: productId, name: 'again', price: 1, stock: 1 };
      await expectRejected(
        'POST',
        '/api/v1/admin/products',
        { token: await h.adminToken(), body },
        409,
        'PRODUCT_EXISTS',
      );
    });

    it('when an unknown product is restocked, then 404 PRODUCT_NOT_FOUND', async () => {
      const options = { token: await h.adminToken(), body: { stock: 1 } };
      await expectRejected('PUT', '/api/v1/admin/products/987654321/stock', options, 404, 'PRODUCT_NOT_FOUND');
    });
  });

  describe('reads', () => {
    it.each(['abc', '-1', '1e3', '0', '99999999999999999999'])(
      'when the product id is %s, then 400 VALIDATION_FAILED',
      async (id) => {
        await expectRejected('GET', `/api/v1/products/${id}`, {}, 400, 'VALIDATION_FAILED');
      },
    );

    it('when the tracking id is not a UUID, then 400 VALIDATION_FAILED', async () => {
      await expectRejected('GET', '/api/v1/purchases/not-a-uuid', { token }, 400, 'VALIDATION_FAILED');
    });

    it("when a buyer asks for someone else's purchase, then 404 PURCHASE_NOT_FOUND", async () => {
      const bought = await h.request('POST', '/api/v1/sync/purchase', purchase({ productId, quantity: 1 }));
      expect(bought.status).toBe(200);
      const mallory = await h.token(h.buyer('mallory'));
      await expectRejected(
        'GET',
        `/api/v1/purchases/${bought.body.trackingId}`,
        { token: mallory },
        404,
        'PURCHASE_NOT_FOUND',
      );
      // The owner and an admin do see it.
      expect((await h.request('GET', `/api/v1/purchases/${bought.body.trackingId}`, { token })).status).toBe(200);
      const admin = await h.adminToken();
      expect((await h.request('GET', `/api/v1/purchases/${bought.body.trackingId}`, { token: admin })).status).toBe(
        200,
      );
    });

    it('when the route does not exist, then 404 NOT_FOUND in the error shape', async () => {
      await expectRejected('GET', '/api/v1/nothing-here', {}, 404, 'NOT_FOUND');
    });

    it('when the method is not allowed, then 405 in the error shape', async () => {
      await expectRejected('DELETE', `/api/v1/products/${productId}`, {}, 405, 'METHOD_NOT_ALLOWED');
    });

    it('when the method is one no route has (PROPFIND, TRACE), then 405 in the error shape, not a 5xx', async () => {
      await expectRejected('PROPFIND', `/api/v1/products/${productId}`, {}, 405, 'METHOD_NOT_ALLOWED');
    });
  });
});
