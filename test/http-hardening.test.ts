import { randomUUID } from 'node:crypto';
import { startPulseCart, type Harness } from './support/harness';

/**
 * What every answer carries and every request meets, whatever the route:
 * security headers, a request id, the CORS allow-list, JSON-only bodies of
 * at most 16 kB, and nothing internal in an error.
 */
describe('HTTP hardening', () => {
  let h: Harness;
  let productId: number;
  let token: string;
  const allowedOrigin = 'https://shop.pulsecart.test';

  beforeAll(async () => {
    h = await startPulseCart({ CORS_ORIGINS: [allowedOrigin] });
    ({ id: productId } = await h.createProduct({ stock: 5 }));
    token = await h.token(h.buyer());
  });
  afterAll(() => h.close());

  it.each([
    ['text/plain', 'productId=1&quantity=1'],
    ['application/x-www-form-urlencoded', 'productId=1&quantity=1'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="productId"\r\n\r\n1\r\n--x--'],
  ])(
    'when a purchase is sent as %s, then 415 UNSUPPORTED_MEDIA_TYPE and nothing is reserved',
    async (type, rawBody) => {
      const response = await h.request('POST', '/api/v1/sync/purchase', {
        token,
        rawBody,
        headers: { 'content-type': type },
      });

      expect(response.status).toBe(415);
      expect(response.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect((await h.request('GET', `/api/v1/products/${productId}`)).body.available).toBe(5);
    },
  );

  it('when a body is JSON spelled with parameters or in capitals, then it is read like plain application/json', async () => {
    const { id: soldOut } = await h.createProduct({ stock: 0 });
    const answers = [];
    for (const type of ['application/json', 'Application/JSON; charset=utf-8', 'application/json;charset=UTF-8'])
      answers.push(
        await h.request('POST', '/api/v1/sync/purchase', {
          token,
          rawBody: JSON.stringify({ productId: soldOut, quantity: 1 }),
          headers: { 'content-type': type },
        }),
      );

    expect(answers.map((a) => a.body.error?.code)).toEqual(['SOLD_OUT', 'SOLD_OUT', 'SOLD_OUT']);
  });

  it('when an admin sends a product as text/plain JSON, then 415 and no product is made', async () => {
    const name = `smuggled ${randomUUID()}`;
    const response = await h.request('POST', '/api/v1/admin/products', {
      token: await h.adminToken(),
      rawBody: JSON.stringify({ name, price: 1, stock: 1 }),
      headers: { 'content-type': 'text/plain' },
    });

    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect((await h.pool.query('SELECT 1 FROM product WHERE name = $1', [name])).rowCount).toBe(0);
  });

  it('when a body is over 16 kB, then 413 PAYLOAD_TOO_LARGE', async () => {
    const response = await h.request('POST', '/api/v1/sync/purchase', {
      token,
      body: { productId, quantity: 1, padding: 'x'.repeat(17 * 1024) },
    });

    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('when anything answers, even an error, then it carries security headers and a request id', async () => {
    for (const path of ['/', '/health', '/api/v1/nothing-here', `/api/v1/products/${productId}`]) {
      const { headers } = await h.request('GET', path);

      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(headers.get('x-powered-by')).toBeNull();
      expect(headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('when a JSON answer is sent, even a sold-out refusal, then it may load nothing and be framed nowhere; a page gets the whole helmet set', async () => {
    const { id: soldOut } = await h.createProduct({ stock: 0 });
    // The first refusal comes from Redis; the second from this process' memory, returned rather than thrown.
    const refusals = [];
    for (let i = 0; i < 2; i++)
      refusals.push(
        await h.request('POST', '/api/v1/sync/purchase', { token, body: { productId: soldOut, quantity: 1 } }),
      );
    const product = await h.request('GET', `/api/v1/products/${productId}`);
    const page = await h.request('GET', '/');

    expect(refusals.map((r) => [r.status, r.body.error.code])).toEqual([
      [409, 'SOLD_OUT'],
      [409, 'SOLD_OUT'],
    ]);
    for (const { headers } of [...refusals, product]) {
      expect(headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(headers.get('x-frame-options')).toBe('DENY');
      expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    }
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  });

  it('when a proxy passes a request id, then it is kept; when it is not a plain token, then it is replaced', async () => {
    const kept = await h.request('GET', '/health', { headers: { 'x-request-id': 'a1b2c3d4e5f60718293a4b5c6d7e8f90' } });
    const replaced = await h.request('GET', '/health', { headers: { 'x-request-id': 'bad id<script>' } });

    expect(kept.headers.get('x-request-id')).toBe('a1b2c3d4e5f60718293a4b5c6d7e8f90');
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when a method is refused, then the 405 names the allowed ones in Allow, even for a method no route has', async () => {
    const wrong = await h.request('DELETE', `/api/v1/products/${productId}`);
    const unknown = await h.request('PROPFIND', '/api/v1/sync/purchase');

    expect([wrong.status, unknown.status]).toEqual([405, 405]);
    expect(wrong.headers.get('allow')).toBe('HEAD, GET');
    expect(unknown.headers.get('allow')).toBe('POST');
    expect(unknown.body.error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('when a page from an allowed origin asks, then CORS lets it read the answer and send a token', async () => {
    const preflight = await h.request('OPTIONS', '/api/v1/sync/purchase', {
      headers: {
        origin: allowedOrigin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, idempotency-key',
      },
    });
    const read = await h.request('GET', `/api/v1/products/${productId}`, { headers: { origin: allowedOrigin } });

    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key');
    expect(read.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    expect(read.headers.get('access-control-expose-headers')).toContain('Retry-After');
  });

  it('when a page from another origin asks, then no CORS header lets its browser read the answer', async () => {
    const preflight = await h.request('OPTIONS', '/api/v1/sync/purchase', {
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' },
    });
    const read = await h.request('GET', `/api/v1/products/${productId}`, { headers: { origin: 'https://evil.test' } });

    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
    expect(read.headers.get('vary')).toContain('Origin');
  });
});

describe('an API whose database is missing', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startPulseCart(
      { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/pulsecart_no_such_database' },
      { withWorker: false },
    );
  });
  afterAll(() => h.close());

  it('when a request fails inside, then 500 INTERNAL with a generic message: no stack, no SQL, no database name', async () => {
    const response = await h.request('GET', '/api/v1/products/1');

    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      error: { code: 'INTERNAL', message: 'Something went wrong on our side; please try again.' },
    });
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });
});
