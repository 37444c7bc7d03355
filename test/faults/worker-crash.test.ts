import { sleep } from '../../tools/lib/wait';
import { startPulseCart, type Harness } from '../support/harness';
import { startWorkerProcess } from '../support/processes';
import { driveSale, expectSaleSurvived } from '../support/sale-driver';

/** The worker process dies with kill -9 in the middle of a sale; a new one takes over. */
describe('fault: worker killed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPulseCart({ SYNC_DEADLINE_MS: 2000 }, { withWorker: false });
  });
  afterAll(() => h.close());

  it('when the worker is killed with -9 mid-sale and a new one starts, then every purchase ends and nothing is lost', async () => {
    const stock = 60;
    const { id: productId } = await h.createProduct({ stock });
    const first = await startWorkerProcess(h.config);
    const running = driveSale(h, { productId, buyers: 200, durationMs: 5000 });

    await sleep(1500);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    await sleep(1000);
    const second = await startWorkerProcess(h.config);
    try {
      const sale = await running;
      const { confirmedQuantity } = await expectSaleSurvived(h, sale, { productId, stock });
      expect(confirmedQuantity).toBe(stock);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
