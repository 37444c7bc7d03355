import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import pino from 'pino';
import { errorMiddleware } from '../src/api/middleware/errors';
import { storefrontRoutes } from '../src/api/storefront/pages';
import { startPulseCart, type Harness } from './support/harness';
import { expectSaleInvariants } from './support/invariants';

let h: Harness;
beforeAll(async () => {
  h = await startPulseCart();
});
afterAll(() => h.close());

describe('the storefront and operator pages', () => {
  it('when a browser asks for / and /operator, then it gets the built pages and their bundles', async () => {
    const store = await h.request('GET', '/');
    expect(store.status).toBe(200);
    expect(store.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(store.body).toContain('id="stock-bar"');
    expect(store.body).toContain('/assets/storefront.js');

    const operator = await h.request('GET', '/operator');
    expect(operator.status).toBe(200);
    expect(operator.body).toContain('/assets/operator.js');

    const script = await h.request('GET', '/assets/storefront.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const styles = await h.request('GET', '/assets/styles.css');
    expect(styles.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('when an asset name is unknown or tries to leave the assets folder, then the answer is 404', async () => {
    for (const path of ['/assets/missing.js', '/assets/..%2F..%2Fpackage.json', '/assets/storefront.html']) {
      const response = await h.request('GET', path);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
  });
});

describe('the storefront before the web build', () => {
  it('when the pages are not built, then / answers 503 STOREFRONT_NOT_BUILT naming the command', async () => {
    const app = new Koa();
    app.use(errorMiddleware(pino({ level: 'silent' })));
    app.use(storefrontRoutes({ assetsDir: '/nonexistent/pulsecart-web' }).routes());
    const server = app.listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => server.once('listening', resolve));
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as { error: unknown };
      expect(body.error).toEqual({
        code: 'STOREFRONT_NOT_BUILT',
        message: expect.stringContaining('npm run build:web'),
      });
    } finally {
      server.close();
    }
  });
});

describe('the operator JSON API', () => {
  it('when a buyer or nobody asks for the operator data, then the answer is 403 or 401', async () => {
    expect((await h.request('GET', '/api/v1/admin/products')).status).toBe(401);
    const buyer = await h.token(h.buyer());
    const forbidden = await h.request('GET', '/api/v1/admin/products', { token: buyer });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
  });

  it('when an admin looks after a purchase, then products show PostgreSQL stock beside Redis available, and orders link to their workflow', async () => {
    const admin = await h.adminToken();
    const { id: productId } = await h.createProduct({ stock: 3, maxPerUser: 2 });
    const bought = await h.request('POST', '/api/v1/sync/purchase', {
      token: await h.token(h.buyer()),
      body: { productId, quantity: 2 },
    });
    expect(bought.status).toBe(200);

    const products = await h.request('GET', '/api/v1/admin/products?limit=200', { token: admin });
    expect(products.status).toBe(200);
    expect(products.body.find((p: { id: number }) => p.id === productId)).toEqual({
      id: productId,
      name: expect.any(String),
      price: 9.99,
      maxPerUser: 2,
      stock: 1,
      available: 1,
      soldUnits: 2,
    });

    const orders = await h.request('GET', `/api/v1/admin/products/${productId}/orders?limit=5`, { token: admin });
    expect(orders.status).toBe(200);
    expect(orders.body).toEqual([
      {
        orderId: bought.body.orderId,
        trackingId: bought.body.trackingId,
        userId: expect.any(String),
        quantity: 2,
        createdAt: expect.any(String),
        workflowUrl: `${h.config.TEMPORAL_UI_URL}/namespaces/${h.config.TEMPORAL_NAMESPACE}/workflows/purchase-${bought.body.trackingId}`,
      },
    ]);

    await expectSaleInvariants(h, { productId, initialStock: 3, maxPerUser: 2, accepted: [bought.body.trackingId] });
  });

  it('when the limit is out of range or the product unknown, then the answer is 400 or 404', async () => {
    const admin = await h.adminToken();
    for (const limit of ['0', '201', 'ten']) {
      const response = await h.request('GET', `/api/v1/admin/products?limit=${limit}`, { token: admin });
      expect({ limit, status: response.status }).toEqual({ limit, status: 400 });
    }
    const unknown = await h.request('GET', '/api/v1/admin/products/999999999999/orders', { token: admin });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('PRODUCT_NOT_FOUND');
  });
});
