import { randomUUID } from 'node:crypto';
import { startPulseCart, type Harness } from './support/harness';

/** Every administrator change is in admin_audit_log: who, what, before and after, when, and the request. */
describe('the admin audit log', () => {
  let h: Harness;
  let adminId: string;
  let admin: string;

  beforeAll(async () => {
    h = await startPulseCart({}, { withWorker: false });
    adminId = `admin-${randomUUID()}`;
    admin = await h.token(adminId, { roles: ['admin'] });
  });
  afterAll(() => h.close());

  const entriesFor = async (requestId: string) =>
    (
      await h.pool.query(
        `SELECT actor, action, product_id AS "productId", before, after, occurred_at AS "occurredAt"
           FROM admin_audit_log WHERE request_id = $1`,
        [requestId],
      )
    ).rows;

  const createProduct = (body: object, requestId = randomUUID()) =>
    h.request('POST', '/api/v1/admin/products', { token: admin, body, headers: { 'x-request-id': requestId } });

  it('when an admin creates a product, then one entry names them, the product as made and the request', async () => {
    const requestId = randomUUID();
    const startedAt = Date.now();

    const created = await createProduct({ name: 'Audited', price: 12.5, stock: 7, maxPerUser: 2 }, requestId);

    expect(created.status).toBe(201);
    expect(created.headers.get('x-request-id')).toBe(requestId);
    const entries = await entriesFor(requestId);
    expect(entries).toEqual([
      {
        actor: adminId,
        action: 'product.create',
        productId: created.body.id,
        before: null,
        after: created.body,
        occurredAt: expect.any(Date),
      },
    ]);
    expect(entries[0].occurredAt.getTime()).toBeGreaterThanOrEqual(startedAt - 1000);
  });

  it('when an admin restocks, then one entry has the product before and after', async () => {
    const { id } = await h.createProduct({ stock: 3 });
    const requestId = randomUUID();

    const restocked = await h.request('PUT', `/api/v1/admin/products/${id}/stock`, {
      token: admin,
      body: { stock: 40 },
      headers: { 'x-request-id': requestId },
    });

    expect(restocked.status).toBe(200);
    expect(await entriesFor(requestId)).toEqual([
      expect.objectContaining({
        actor: adminId,
        action: 'product.restock',
        productId: id,
        before: expect.objectContaining({ id, stock: 3 }),
        after: restocked.body,
      }),
    ]);
  });

  it('when a change is refused, then nothing is logged', async () => {
    const { id } = await h.createProduct({ stock: 1 });
    const taken = randomUUID();
    const unknown = randomUUID();
    const invalid = randomUUID();

    const duplicate = await createProduct({ id, name: 'Again', price: 1, stock: 1 }, taken);
    const missing = await h.request('PUT', '/api/v1/admin/products/987654321/stock', {
      token: admin,
      body: { stock: 1 },
      headers: { 'x-request-id': unknown },
    });
    const negative = await h.request('PUT', `/api/v1/admin/products/${id}/stock`, {
      token: admin,
      body: { stock: -1 },
      headers: { 'x-request-id': invalid },
    });

    expect([duplicate.status, missing.status, negative.status]).toEqual([409, 404, 400]);
    for (const requestId of [taken, unknown, invalid]) expect(await entriesFor(requestId)).toEqual([]);
  });

  it('when the entry cannot be written, then the change is not made either: they share one transaction', async () => {
    const { catalog } = h.services;
    const { id } = await h.createProduct({ stock: 2 });
    const name = `Unaudited ${randomUUID()}`;
    // Longer than the actor column: the entry's INSERT fails after the change's.
    const unrecordable = { userId: 'x'.repeat(200), requestId: randomUUID() };

    await expect(catalog.create({ name, price: 1, stock: 1, maxPerUser: 1 }, unrecordable)).rejects.toThrow();
    await expect(catalog.restock(id, 50, unrecordable)).rejects.toThrow();

    expect((await h.pool.query('SELECT 1 FROM product WHERE name = $1', [name])).rowCount).toBe(0);
    expect((await h.request('GET', `/api/v1/products/${id}`)).body).toMatchObject({ stock: 2, available: 2 });
  });
});
