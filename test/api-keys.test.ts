import { randomBytes, randomUUID } from 'node:crypto';
import { hashSecret, parseSecret } from '../src/api-keys/secret';
import { startPulseCart, type ApiResponse, type Harness } from './support/harness';

/**
 * Service keys: a warehouse restocks and reads orders with `Authorization:
 * ApiKey <secret>`, never with a person's token. Real PostgreSQL, Redis,
 * RabbitMQ and Temporal.
 */
describe('API keys for services', () => {
  let h: Harness;
  let admin: string;

  beforeAll(async () => {
    h = await startPulseCart();
    admin = await h.adminToken();
  });
  afterAll(() => h.close());

  const createKey = (body: object) => h.request('POST', '/api/v1/admin/api-keys', { token: admin, body });
  const newKey = async (scopes: string[], expiresAt?: string) => {
    const created = await createKey({ name: `warehouse ${randomUUID()}`, scopes, expiresAt });
    if (created.status !== 201) throw new Error(`key not created: ${JSON.stringify(created.body)}`);
    return created.body as { id: string; secret: string };
  };
  const withKey = (secret: string, requestId: string = randomUUID()) => ({
    headers: { authorization: `ApiKey ${secret}`, 'x-request-id': requestId },
  });
  const restock = (productId: number, stock: number, secret: string, requestId?: string) =>
    h.request('PUT', `/api/v1/admin/products/${productId}/stock`, { body: { stock }, ...withKey(secret, requestId) });
  const auditFor = async (requestId: string) =>
    (
      await h.pool.query(
        `SELECT actor, action, product_id AS "productId", after FROM admin_audit_log
         WHERE request_id = $1 ORDER BY id`,
        [requestId],
      )
    ).rows;
  const refusal = (response: ApiResponse) => ({ status: response.status, code: response.body?.error?.code });

  it('when an admin creates a key, then its secret is in that answer only, and the database holds its scrypt hash, never the secret', async () => {
    const requestId = randomUUID();
    const created = await h.request('POST', '/api/v1/admin/api-keys', {
      token: admin,
      body: { name: 'warehouse-eu', scopes: ['stock:write', 'orders:read'] },
      headers: { 'x-request-id': requestId },
    });

    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      name: 'warehouse-eu',
      scopes: ['stock:write', 'orders:read'],
      createdBy: expect.stringMatching(/^admin-/),
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      revokedAt: null,
      secret: expect.stringMatching(/^pck_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/),
    });
    const { id, secret } = created.body;
    const lifetimeDays = (Date.parse(created.body.expiresAt) - Date.now()) / 86_400_000;
    expect(Math.round(lifetimeDays)).toBe(90);

    const { secretPart } = parseSecret(secret)!;
    const { rows } = await h.pool.query('SELECT * FROM api_keys WHERE id = $1', [id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].secret_hash.equals(await hashSecret(secretPart, rows[0].salt))).toBe(true);
    expect(Object.keys(rows[0]).sort()).toEqual(
      ['created_at', 'created_by', 'expires_at', 'id', 'name', 'revoked_at', 'salt', 'scopes', 'secret_hash'].sort(),
    );
    // In any encoding a column could hold it.
    const stored = Object.values(rows[0]).map((value) =>
      Buffer.isBuffer(value)
        ? ['latin1', 'hex', 'base64url'].map((e) => value.toString(e as BufferEncoding))
        : String(value),
    );
    expect(stored.flat().join('|')).not.toContain(secretPart);
    const audit = await auditFor(requestId);
    expect(audit).toEqual([
      expect.objectContaining({ action: 'api-key.create', after: expect.objectContaining({ id }) }),
    ]);
    expect(JSON.stringify(audit)).not.toContain(secretPart);
  });

  it('when two keys are made, then each has a salt of its own', async () => {
    const [first, second] = [await newKey(['orders:read']), await newKey(['orders:read'])];
    const { rows } = await h.pool.query('SELECT salt FROM api_keys WHERE id = ANY($1)', [[first.id, second.id]]);
    expect(rows).toHaveLength(2);
    expect(rows[0].salt.equals(rows[1].salt)).toBe(false);
  });

  it('when a warehouse restocks with a stock:write key, then stock moves as for an admin, and the call and the change are audited under the key', async () => {
    const { id: productId } = await h.createProduct({ stock: 5 });
    const key = await newKey(['stock:write']);
    const requestId = randomUUID();

    const restocked = await restock(productId, 12, key.secret, requestId);

    expect(restocked.status).toBe(200);
    expect(restocked.body).toMatchObject({ id: productId, stock: 12 });
    expect((await h.request('GET', `/api/v1/products/${productId}`)).body).toMatchObject({ stock: 12, available: 12 });
    expect(await auditFor(requestId)).toEqual([
      {
        actor: `api-key:${key.id}`,
        action: 'api-key.use',
        productId,
        after: { method: 'PUT', path: `/api/v1/admin/products/${productId}/stock` },
      },
      expect.objectContaining({
        actor: `api-key:${key.id}`,
        action: 'product.restock',
        productId,
        after: expect.objectContaining({ stock: 12 }),
      }),
    ]);
  });

  it("when a warehouse reads a product's orders with an orders:read key, then it gets them, and the read is audited", async () => {
    const { id: productId } = await h.createProduct({ stock: 3 });
    const buyer = h.buyer();
    const bought = await h.request('POST', '/api/v1/sync/purchase', {
      token: await h.token(buyer),
      body: { productId, quantity: 1 },
    });
    expect(bought.status).toBe(200);
    const key = await newKey(['orders:read']);
    const requestId = randomUUID();

    const orders = await h.request(
      'GET',
      `/api/v1/admin/products/${productId}/orders?limit=5`,
      withKey(key.secret, requestId),
    );

    expect(orders.status).toBe(200);
    expect(orders.body).toEqual([
      expect.objectContaining({ orderId: bought.body.orderId, trackingId: bought.body.trackingId, userId: buyer }),
    ]);
    expect(await auditFor(requestId)).toEqual([
      expect.objectContaining({ actor: `api-key:${key.id}`, action: 'api-key.use', productId }),
    ]);
  });

  it('when a key is unknown, malformed or its secret is wrong, then the answer is 401 UNAUTHENTICATED and nothing moves', async () => {
    const { id: productId } = await h.createProduct({ stock: 4 });
    const real = await newKey(['stock:write']);
    const unknown = `pck_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    const wrongSecret = `pck_${real.id}_${randomBytes(32).toString('base64url')}`;

    for (const secret of [unknown, wrongSecret, 'not-a-key', `${real.secret}x`, '']) {
      const response = await restock(productId, 40, secret);
      expect({ secret, ...refusal(response) }).toEqual({ secret, status: 401, code: 'UNAUTHENTICATED' });
      expect(response.body.error.message).toMatch(/not valid|Bearer token is required/);
    }
    expect((await h.request('GET', `/api/v1/products/${productId}`)).body).toMatchObject({ stock: 4, available: 4 });
  });

  it('when a key has been revoked, then it is refused with 401, and revoking it again changes nothing', async () => {
    const { id: productId } = await h.createProduct({ stock: 4 });
    const key = await newKey(['stock:write']);
    expect((await restock(productId, 6, key.secret)).status).toBe(200);

    const revoked = await h.request('DELETE', `/api/v1/admin/api-keys/${key.id}`, { token: admin });
    const refused = await restock(productId, 40, key.secret);
    const again = await h.request('DELETE', `/api/v1/admin/api-keys/${key.id}`, { token: admin });

    expect(revoked.status).toBe(204);
    expect(refusal(refused)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(refused.body.error.message).toBe('The API key has been revoked');
    expect(again.status).toBe(204);
    const revocations = await h.pool.query(
      `SELECT 1 FROM admin_audit_log WHERE action = 'api-key.revoke' AND after->>'id' = $1`,
      [key.id],
    );
    expect(revocations.rowCount).toBe(1);
    expect((await h.request('GET', `/api/v1/products/${productId}`)).body).toMatchObject({ stock: 6 });
  });

  it('when a key has expired, then it is refused with 401', async () => {
    const { id: productId } = await h.createProduct({ stock: 4 });
    const expiresAt = new Date(Date.now() + 1500);
    const key = await newKey(['stock:write'], expiresAt.toISOString());
    expect((await restock(productId, 5, key.secret)).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now() + 200));
    const refused = await restock(productId, 40, key.secret);

    expect(refusal(refused)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(refused.body.error.message).toBe('The API key has expired');
    expect((await h.request('GET', `/api/v1/products/${productId}`)).body).toMatchObject({ stock: 5 });
  });

  it('when a key lacks the scope a route needs, then the answer is 403 INSUFFICIENT_SCOPE and the call is not audited as a use', async () => {
    const { id: productId } = await h.createProduct({ stock: 4 });
    const reader = await newKey(['orders:read']);
    const writer = await newKey(['stock:write']);
    const requestIds = [randomUUID(), randomUUID()];

    const restocked = await restock(productId, 40, reader.secret, requestIds[0]);
    const read = await h.request(
      'GET',
      `/api/v1/admin/products/${productId}/orders`,
      withKey(writer.secret, requestIds[1]),
    );

    expect(refusal(restocked)).toEqual({ status: 403, code: 'INSUFFICIENT_SCOPE' });
    expect(restocked.body.error.message).toContain('"stock:write"');
    expect(refusal(read)).toEqual({ status: 403, code: 'INSUFFICIENT_SCOPE' });
    for (const requestId of requestIds) expect(await auditFor(requestId)).toEqual([]);
    expect((await h.request('GET', `/api/v1/products/${productId}`)).body).toMatchObject({ stock: 4 });
  });

  it('when a key is sent to a route no scope opens (create a product, buy, admin lists, key admin), then it is 401', async () => {
    const { id: productId } = await h.createProduct({ stock: 4 });
    const key = await newKey(['stock:write', 'orders:read']);
    const calls: [string, string, object?][] = [
      ['POST', '/api/v1/admin/products', { name: 'By key', price: 1, stock: 1 }],
      ['POST', '/api/v1/sync/purchase', { productId, quantity: 1 }],
      ['GET', '/api/v1/admin/products'],
      ['POST', '/api/v1/admin/api-keys', { name: 'self-made', scopes: ['stock:write'] }],
      ['DELETE', `/api/v1/admin/api-keys/${key.id}`],
    ];

    for (const [method, path, body] of calls) {
      const response = await h.request(method, path, { body, ...withKey(key.secret) });
      expect({ method, path, ...refusal(response) }).toEqual({ method, path, status: 401, code: 'UNAUTHENTICATED' });
    }
  });

  it('when a key request is not valid, then the admin gets 400 VALIDATION_FAILED; a buyer gets 403; an unknown key to revoke is 404', async () => {
    const buyer = await h.token(h.buyer());
    const invalid = [
      { name: 'no scope', scopes: [] },
      { name: 'bad scope', scopes: ['stock:delete'] },
      { name: 'twice', scopes: ['orders:read', 'orders:read'] },
      { name: 'past', scopes: ['orders:read'], expiresAt: new Date(Date.now() - 1000).toISOString() },
      { name: 'too far', scopes: ['orders:read'], expiresAt: new Date(Date.now() + 400 * 86_400_000).toISOString() },
      { name: 'not a date', scopes: ['orders:read'], expiresAt: 'tomorrow' },
      { name: '', scopes: ['orders:read'] },
      { name: 'extra', scopes: ['orders:read'], admin: true },
    ];
    for (const body of invalid) {
      expect({ body, ...refusal(await createKey(body)) }).toEqual({ body, status: 400, code: 'VALIDATION_FAILED' });
    }
    const byBuyer = await h.request('POST', '/api/v1/admin/api-keys', {
      token: buyer,
      body: { name: 'mine', scopes: ['orders:read'] },
    });
    expect(refusal(byBuyer)).toEqual({ status: 403, code: 'FORBIDDEN' });
    const unknown = await h.request('DELETE', `/api/v1/admin/api-keys/${randomBytes(8).toString('hex')}`, {
      token: admin,
    });
    expect(refusal(unknown)).toEqual({ status: 404, code: 'API_KEY_NOT_FOUND' });
    const badId = await h.request('DELETE', '/api/v1/admin/api-keys/..%2Fproducts', { token: admin });
    expect(refusal(badId)).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
  });
});

describe('API key rate limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPulseCart(
      { API_KEY_RATE_LIMIT_POINTS: 2, API_KEY_RATE_LIMIT_DURATION_S: 60 },
      { withWorker: false },
    );
  });
  afterAll(() => h.close());

  it('when one key calls past its limit, then it gets 429 RATE_LIMITED with Retry-After, and another key still gets through', async () => {
    const admin = await h.adminToken();
    const { id: productId } = await h.createProduct({ stock: 1 });
    const keys = [];
    for (const name of ['busy', 'quiet']) {
      const created = await h.request('POST', '/api/v1/admin/api-keys', {
        token: admin,
        body: { name, scopes: ['orders:read'] },
      });
      keys.push(created.body.secret as string);
    }
    const read = (secret: string) =>
      h.request('GET', `/api/v1/admin/products/${productId}/orders`, {
        headers: { authorization: `ApiKey ${secret}` },
      });

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await read(keys[0])).status);
    const limited = await read(keys[0]);
    const other = await read(keys[1]);

    expect(statuses).toEqual([200, 200, 429]);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(other.status).toBe(200);
  });
});
