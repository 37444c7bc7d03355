import { sleep } from '../tools/lib/wait';
import { startPulseCart, type Harness } from './support/harness';
import { expectRaceSellsOut } from './support/sale-driver';
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
    await expectRaceSellsOut(h, { productId, buyers: 2000, stock, watcher });

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
