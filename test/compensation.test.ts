import { startPulseCart, type Harness } from './support/harness';
import { expectSaleInvariants } from './support/invariants';

/**
 * A commit that fails for real: a trigger in the test database refuses orders
 * for one product, as a constraint would. The workflow must give the Redis
 * reservation back, and the buyer must hear that nothing was bought.
 */
describe('compensation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPulseCart();
  });
  afterAll(() => h.close());

  async function refuseOrdersFor(productId: number): Promise<() => Promise<void>> {
    const name = `refuse_orders_${productId}`;
    await h.pool.query(`
      CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.product_id = ${productId} THEN
          RAISE EXCEPTION 'orders for product % are refused by the test', NEW.product_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER ${name} BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION ${name}();`);
    return async () => {
      await h.pool.query(`DROP TRIGGER ${name} ON orders; DROP FUNCTION ${name}();`);
    };
  }

  it('when the PostgreSQL commit fails for good, then the reservation is released, the buyer is told, and the stock is back', async () => {
    const { id: productId } = await h.createProduct({ stock: 3 });
    const heal = await refuseOrdersFor(productId);
    const buyer = h.buyer();
    const token = await h.token(buyer);

    const sync = await h.request('POST', '/api/v1/sync/purchase', { token, body: { productId, quantity: 1 } });
    expect(sync.status).toBe(503);
    expect(sync.body.error).toMatchObject({ code: 'PURCHASE_FAILED', details: { trackingId: expect.any(String) } });
    const status = await h.request('GET', `/api/v1/purchases/${sync.body.error.details.trackingId}`, { token });
    expect(status.body).toMatchObject({ status: 'FAILED', reason: 'COMMIT_FAILED', productId, quantity: 1 });

    const product = await h.request('GET', `/api/v1/products/${productId}`);
    expect(product.body).toMatchObject({ stock: 3, available: 3 });

    await heal();
    // The same buyer may buy again: the failed purchase holds nothing against the per-user limit.
    const retry = await h.request('POST', '/api/v1/sync/purchase', { token, body: { productId, quantity: 1 } });
    expect(retry.status).toBe(200);

    await expectSaleInvariants(h, {
      productId,
      initialStock: 3,
      maxPerUser: 1,
      accepted: [sync.body.error.details.trackingId, retry.body.trackingId],
    });
  });
});
