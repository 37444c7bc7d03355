import { startPulseCart, type Harness } from './support/harness';

/** `GET /api/v1/products`: the sale's products for everyone, newest first, a bounded page at a time. */
describe('the public product list', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPulseCart({}, { withWorker: false });
  });
  afterAll(() => h.close());

  it('when pages are followed through `next`, then each product comes once, newest first, with its stock and available units', async () => {
    const made = [];
    for (const stock of [1, 2, 3]) made.push(await h.createProduct({ stock }));
    const newestFirst = made.map((product) => product.id).reverse();

    const first = await h.request('GET', '/api/v1/products?limit=2');
    const second = await h.request('GET', first.body.next);

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body.products.map((p: { id: number }) => p.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.body.next).toBe(`/api/v1/products?limit=2&before=${newestFirst[1]}`);
    expect(second.body.products[0]).toEqual({
      id: newestFirst[2],
      name: expect.any(String),
      price: 9.99,
      stock: 1,
      available: 1,
      maxPerUser: 1,
    });
  });

  it('when no limit is given, then the page is 10 long; when the last page is read, then next is null', async () => {
    for (let i = 0; i < 11; i++) await h.createProduct({ stock: 1 });
    const { rows } = await h.pool.query<{ id: number }>('SELECT min(id)::bigint AS id FROM product');

    const listed = await h.request('GET', '/api/v1/products');
    const last = await h.request('GET', `/api/v1/products?before=${rows[0].id + 1}`);

    expect(listed.body.products).toHaveLength(10);
    expect(listed.body.next).not.toBeNull();
    expect(last.body.products.map((p: { id: number }) => p.id)).toEqual([rows[0].id]);
    expect(last.body.next).toBeNull();
  });

  it('when the limit or cursor is not valid, then the answer is 400 VALIDATION_FAILED', async () => {
    for (const query of ['limit=0', 'limit=51', 'limit=abc', 'limit=-1', 'before=0', 'before=1e3', 'before=x']) {
      const response = await h.request('GET', `/api/v1/products?${query}`);
      expect({ query, status: response.status, code: response.body.error?.code }).toEqual({
        query,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
  });
});
