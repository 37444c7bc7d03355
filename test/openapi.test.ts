import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ERRORS, type ErrorCode } from '../src/domain/errors';
import {
  apiKeyCreatedResponse,
  errorResponse,
  productPageResponse,
  productResponse,
  productViewResponse,
  purchaseAcceptedResponse,
  purchaseConfirmedResponse,
  purchaseViewResponse,
} from '../src/api/openapi/responses';
import { purchaseBody } from '../src/api/validation';
import { startPulseCart, type Harness } from './support/harness';

/**
 * The OpenAPI document is generated from the schemas the routes use, and what
 * the API really answers fits it (the fuzzer, tools/fuzz.sh, checks the rest).
 */
describe('the OpenAPI document', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startPulseCart();
  });
  afterAll(() => h.close());

  it('when /openapi.json is read, then it is OpenAPI 3.1 with every JSON API operation, bearer-secured where needed', async () => {
    const { status, body } = await h.request('GET', '/openapi.json');

    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths).sort()).toEqual([
      '/api/v1/admin/api-keys',
      '/api/v1/admin/api-keys/{id}',
      '/api/v1/admin/backups',
      '/api/v1/admin/products',
      '/api/v1/admin/products/{id}/orders',
      '/api/v1/admin/products/{id}/sale',
      '/api/v1/admin/products/{id}/stock',
      '/api/v1/admin/reconcile',
      '/api/v1/async/purchase',
      '/api/v1/products',
      '/api/v1/products/{id}',
      '/api/v1/purchases/{trackingId}',
      '/api/v1/stock/stream',
      '/api/v1/sync/purchase',
      '/health',
      '/metrics',
      '/ready',
    ]);
    expect(body.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(body.paths['/api/v1/sync/purchase'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(body.paths['/api/v1/products/{id}'].get.security).toBeUndefined();
    expect(body.paths['/api/v1/admin/products/{id}/stock'].put.security).toEqual([
      { bearerAuth: [] },
      { apiKeyAuth: ['stock:write'] },
    ]);
  });

  it('when the purchase body is documented, then it is exactly what zod makes of the schema the route parses with', async () => {
    const { body } = await h.request('GET', '/openapi.json');
    const fromZod = z.toJSONSchema(purchaseBody, { io: 'input' });

    expect({ $schema: fromZod.$schema, ...body.components.schemas.PurchaseRequest }).toEqual(fromZod);
  });

  it("when a route's error answers are documented, then each lists registry codes of its status, with the registry's message", async () => {
    const { body } = await h.request('GET', '/openapi.json');
    const documented = Object.values(body.paths).flatMap((operations: any) =>
      Object.values(operations).flatMap((operation: any) =>
        Object.entries(operation.responses)
          .filter(([status]) => Number(status) >= 400)
          .map(([status, response]: [string, any]) => ({
            status: Number(status),
            ...response.content['application/json'],
          }))
          .filter(({ schema }) => schema.properties?.error),
      ),
    );

    expect(documented.length).toBeGreaterThan(20);
    for (const { status, schema, examples } of documented) {
      const codes: ErrorCode[] = schema.properties.error.properties.code.enum;
      expect(codes.map((code) => [code, ERRORS[code]?.status])).toEqual(codes.map((code) => [code, status]));
      expect(examples).toEqual(
        Object.fromEntries(codes.map((code) => [code, { value: { error: { code, message: ERRORS[code].message } } }])),
      );
    }
    const syncPurchase = body.paths['/api/v1/sync/purchase'].post.responses;
    expect(syncPurchase[409].content['application/json'].schema.properties.error.properties.code.enum).toEqual([
      'SOLD_OUT',
      'INSUFFICIENT_STOCK',
      'PURCHASE_LIMIT',
    ]);
  });

  it('when a sale runs, then each answer fits its documented schema exactly (no field more, none less)', async () => {
    const admin = await h.adminToken();
    const buyer = await h.token(h.buyer());
    const created = await h.request('POST', '/api/v1/admin/products', {
      token: admin,
      body: { name: 'Documented', price: 3.5, stock: 3, maxPerUser: 3 },
    });
    const productId = created.body.id;
    const viewed = await h.request('GET', `/api/v1/products/${productId}`);
    const confirmed = await h.request('POST', '/api/v1/sync/purchase', {
      token: buyer,
      body: { productId, quantity: 1 },
    });
    const accepted = await h.request('POST', '/api/v1/async/purchase', {
      token: buyer,
      body: { productId, quantity: 1 },
    });
    const polled = await h.request('GET', accepted.body.statusUrl, { token: buyer });
    const refused = await h.request('POST', '/api/v1/sync/purchase', {
      token: buyer,
      body: { productId, quantity: 2 },
    });
    const unknown = await h.request('GET', `/api/v1/purchases/${randomUUID()}`, { token: buyer });

    expect([created.status, viewed.status, confirmed.status, accepted.status, polled.status]).toEqual([
      201, 200, 200, 202, 200,
    ]);
    productResponse.parse(created.body);
    productViewResponse.parse(viewed.body);
    purchaseConfirmedResponse.parse(confirmed.body);
    purchaseAcceptedResponse.parse(accepted.body);
    purchaseViewResponse.parse(polled.body);
    expect([refused.status, unknown.status]).toEqual([409, 404]);
    errorResponse.parse(refused.body);
    errorResponse.parse(unknown.body);
  });

  it('when an admin makes an API key and anyone lists the products, then the answers fit their documented schemas exactly', async () => {
    await h.createProduct({ stock: 2 });
    const key = await h.request('POST', '/api/v1/admin/api-keys', {
      token: await h.adminToken(),
      body: { name: 'Documented', scopes: ['orders:read'] },
    });
    const page = await h.request('GET', '/api/v1/products?limit=1');

    expect([key.status, page.status]).toEqual([201, 200]);
    apiKeyCreatedResponse.parse(key.body);
    productPageResponse.parse(page.body);
    expect(page.body.next).not.toBeNull();
  });

  it('when /docs is opened, then the page and the viewer it loads are served from here, with no CDN', async () => {
    const page = await h.request('GET', '/docs');
    const scripts = [...String(page.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(scripts).toEqual(['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/start.js']);
    for (const asset of scripts) {
      const served = await h.request('GET', asset);
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toMatch(/^(text\/css|text\/javascript)/);
    }
    expect((await h.request('GET', '/docs/package.json')).status).toBe(404);
  });
});
