import { sleep } from '../../tools/lib/wait';
import { FaultProxy } from '../support/fault-proxy';
import { startPulseCart, type Harness } from '../support/harness';
import { driveSale, expectSaleSurvived } from '../support/sale-driver';

/** PostgreSQL refuses connections for 5 s in the middle of a sale. */
describe('fault: PostgreSQL outage', () => {
  let proxy: FaultProxy;
  let h: Harness;

  beforeAll(async () => {
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 5432 });
    const url = new URL(process.env.DATABASE_URL as string);
    url.port = String(proxy.port);
    h = await startPulseCart({ DATABASE_URL: url.toString(), SYNC_DEADLINE_MS: 2000 });
  });
  afterAll(async () => {
    await h.close();
    await proxy.stop();
  });

  it('when PostgreSQL refuses connections for 5 s, then commits retry, sync buyers get 202 past the deadline, and every purchase ends', async () => {
    const stock = 60;
    const { id: productId } = await h.createProduct({ stock });
    const running = driveSale(h, { productId, buyers: 200, durationMs: 6000 });

    await sleep(1500);
    await proxy.cut();
    await sleep(5000);
    await proxy.heal();
    const sale = await running;

    // Sync buyers whose commit waited out the outage were told to poll.
    expect(sale.responses.some((r, i) => i % 2 === 0 && r.status === 202)).toBe(true);

    const { statuses, confirmedQuantity } = await expectSaleSurvived(h, sale, { productId, stock });
    // Retries carried the commits through: nothing failed for the outage alone.
    expect([...statuses.values()].filter((s) => s === 'FAILED')).toEqual([]);
    expect(confirmedQuantity).toBe(stock);
  });
});
