import { sleep } from '../tools/lib/wait';
import { startPulseCart, type Harness } from './support/harness';
import { expectSaleInvariants } from './support/invariants';
import { StockWatcher } from './support/stock-watcher';

describe('a flash sale', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPulseCart();
  });
  afterAll(() => h.close());

  it('when 2,000 buyers race for 50 units, half sync and half async, then exactly 50 are confirmed and every invariant holds', async () => {
    const stock = 50;
    const { id: productId } = await h.createProduct({ stock, maxPerUser: 1 });
    const watcher = await StockWatcher.watch(h.amqp, productId);
    const buyers = await Promise.all(Array.from({ length: 2000 }, () => h.token(h.buyer())));

    const responses = await Promise.all(
      buyers.map((token, i) =>
        h.request('POST', `/api/v1/${i % 2 === 0 ? 'sync' : 'async'}/purchase`, {
          token,
          body: { productId, quantity: 1 },
        }),
      ),
    );

    const byStatus = new Map<number, number>();
    for (const r of responses) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    // Only 200 (sync confirmed), 202 (async accepted, or sync past its deadline) and 409 sold out.
    for (const status of byStatus.keys()) expect([200, 202, 409]).toContain(status);
    for (const r of responses.filter((r) => r.status === 409)) {
      expect(['SOLD_OUT', 'INSUFFICIENT_STOCK']).toContain(r.body.error.code);
    }

    const accepted = responses.filter((r) => r.status === 200 || r.status === 202).map((r) => r.body.trackingId);
    // The admission gate reserves: a buyer who cannot get stock never starts a workflow.
    expect(accepted).toHaveLength(stock);

    const { statuses, confirmedQuantity } = await expectSaleInvariants(h, {
      productId,
      initialStock: stock,
      maxPerUser: 1,
      accepted,
      watcher,
    });
    expect(confirmedQuantity).toBe(stock);
    expect([...statuses.values()].every((s) => s === 'CONFIRMED')).toBe(true);

    // Operators find the sale's workflows by the ProductId search attribute (visibility is eventually consistent).
    let found = 0;
    const deadline = Date.now() + 20_000;
    while (found !== stock && Date.now() < deadline) {
      found = (
        await h.temporal.workflow.count(
          `TaskQueue = "${h.taskQueue}" AND ProductId = "${productId}" AND ExecutionStatus = "Completed"`,
        )
      ).count;
      if (found !== stock) await sleep(250);
    }
    expect(found).toBe(stock);
    await watcher.stop();
  });
});
