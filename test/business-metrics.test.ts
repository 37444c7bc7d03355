/**
 * The sale's business figures as an operator reads them: the API's and the
 * worker's Prometheus metrics move as a real sale runs, and the operator
 * report says what SQL over the orders says.
 */
import { freePort } from '../tools/lib/ports';
import { sleep } from '../tools/lib/wait';
import { startPulseCart, type Harness } from './support/harness';

const PRICE = 12.34;
const STOCK = 5;

/** The sum of a metric's samples whose labels include `labels`, from Prometheus' text format. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) sum += Number(match[3]);
  }
  return sum;
}

describe('business metrics of a sale', () => {
  let h: Harness;
  let workerMetricsUrl: string;
  beforeAll(async () => {
    const port = await freePort();
    workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
    h = await startPulseCart({}, { workerMetricsPort: port });
  });
  afterAll(() => h.close());

  const buy = async (pattern: 'sync' | 'async', productId: number) =>
    h.request('POST', `/api/v1/${pattern}/purchase`, {
      token: await h.token(h.buyer(pattern)),
      body: { productId, quantity: 1 },
    });

  async function confirmed(trackingId: string): Promise<void> {
    const token = await h.adminToken();
    for (;;) {
      const { body } = await h.request('GET', `/api/v1/purchases/${trackingId}`, { token });
      if (body.status === 'CONFIRMED') return;
      expect(body.status).toBe('PENDING');
      await sleep(100);
    }
  }

  async function truthOf(productId: number) {
    const { rows } = await h.pool.query<{ revenueCents: number; units: number; orders: number; span: number }>(
      `SELECT (SUM(unit_price * quantity) * 100)::int AS "revenueCents", SUM(quantity)::int AS units,
              COUNT(*)::int AS orders, EXTRACT(EPOCH FROM MAX(created_at) - MIN(created_at))::float8 AS span
       FROM orders WHERE product_id = $1`,
      [productId],
    );
    return rows[0];
  }

  it('when a product sells out through both patterns, then the metrics count what PostgreSQL holds and the operator report equals SQL over the orders', async () => {
    const { id: productId } = await h.createProduct({ stock: STOCK, price: PRICE });
    const sync = await Promise.all([1, 2, 3].map(() => buy('sync', productId)));
    const async_ = await Promise.all([1, 2].map(() => buy('async', productId)));
    const late = await Promise.all([buy('sync', productId), buy('async', productId), buy('async', productId)]);
    expect(sync.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(async_.map((r) => r.status)).toEqual([202, 202]);
    expect(late.map((r) => r.body.error.code)).toEqual(['SOLD_OUT', 'SOLD_OUT', 'SOLD_OUT']);
    for (const accepted of async_) await confirmed(accepted.body.trackingId);

    const truth = await truthOf(productId);
    expect(truth).toMatchObject({ revenueCents: STOCK * 1234, units: STOCK, orders: STOCK });

    // The API: attempts by pattern and outcome, and the admitted among them (conversion 5 / 8).
    const api = await (await fetch(`${h.baseUrl}/metrics`)).text();
    const attempts = sample(api, 'pulsecart_purchases_total');
    expect(attempts).toBe(8);
    expect(sample(api, 'pulsecart_purchases_total', { pattern: 'sync', outcome: 'CONFIRMED' })).toBe(3);
    expect(sample(api, 'pulsecart_purchases_total', { pattern: 'async', outcome: 'PENDING' })).toBe(2);
    expect(sample(api, 'pulsecart_purchases_total', { outcome: 'SOLD_OUT' })).toBe(3);
    expect(sample(api, 'pulsecart_workflows_started_total') / attempts).toBe(STOCK / 8);

    // The worker: this harness' task queue is its own, so its samples are this sale's.
    const worker = await (await fetch(workerMetricsUrl)).text();
    const ours = { taskQueue: h.taskQueue };
    expect(sample(worker, 'pulsecart_orders_total', { ...ours, pattern: 'sync' })).toBe(3);
    expect(sample(worker, 'pulsecart_orders_total', { ...ours, pattern: 'async' })).toBe(2);
    expect(sample(worker, 'pulsecart_revenue_cents_total', ours)).toBe(truth.revenueCents);
    expect(sample(worker, 'pulsecart_units_sold_total', { ...ours, productId: String(productId) })).toBe(truth.units);
    expect(sample(worker, 'pulsecart_sell_through_seconds', { ...ours, productId: String(productId) })).toBeCloseTo(
      truth.span,
      3,
    );

    const report = await h.request('GET', `/api/v1/admin/products/${productId}/sale`, {
      token: await h.adminToken(),
    });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      productId,
      stock: 0,
      orders: truth.orders,
      units: truth.units,
      revenue: truth.revenueCents / 100,
      sellThroughSeconds: truth.span,
    });
    const { rows: seconds } = await h.pool.query<{ orders: number }>(
      `SELECT COUNT(*)::int AS orders FROM orders WHERE product_id = $1
       GROUP BY date_trunc('second', created_at) ORDER BY date_trunc('second', created_at)`,
      [productId],
    );
    const timeline = report.body.timeline as { orders: number; units: number; stock: number }[];
    expect(timeline.map((s) => s.orders)).toEqual(seconds.map((s) => s.orders));
    // Walking forward, each second's units leave the stock; the last second ends at 0.
    expect(timeline.map((s) => s.stock)).toEqual(
      timeline.map((_, i) => STOCK - timeline.slice(0, i + 1).reduce((sum, s) => sum + s.units, 0)),
    );
    expect(timeline.at(-1)?.stock).toBe(0);
  });

  it('when units remain, then the report has no sell-through time and the worker set no gauge for the product', async () => {
    const { id: productId } = await h.createProduct({ stock: 3, price: PRICE });
    expect((await buy('sync', productId)).status).toBe(200);

    const report = await h.request('GET', `/api/v1/admin/products/${productId}/sale`, {
      token: await h.adminToken(),
    });
    const worker = await (await fetch(workerMetricsUrl)).text();

    expect(report.body).toMatchObject({ stock: 2, units: 1, orders: 1, revenue: PRICE, sellThroughSeconds: null });
    expect(worker).not.toMatch(new RegExp(`pulsecart_sell_through_seconds\\{[^}]*productId="${productId}"`));
    expect(sample(worker, 'pulsecart_units_sold_total', { productId: String(productId) })).toBe(1);
  });
});
