/**
 * DESIGN.md's invariants, checked at the end of every sale: straight from
 * PostgreSQL, Redis, Temporal and the stock events, not through the code
 * under test.
 */
import { productKeys } from '../../src/inventory/inventory';
import type { Harness } from './harness';
import type { StockWatcher } from './stock-watcher';

/** Anything that keeps the newest stock event it saw: a RabbitMQ watcher, an SSE subscriber. */
export interface StockObserver {
  latest?: { available: number };
}

export interface Sale {
  productId: number;
  initialStock: number;
  maxPerUser: number;
  /** Every trackingId the API accepted (200 or 202). */
  accepted: string[];
  watcher?: StockWatcher;
  /** Stock-stream (SSE) subscribers: each must end on the available units at rest. */
  subscribers?: StockObserver[];
}

export interface SaleAtRest {
  statuses: Map<string, string>;
  confirmedQuantity: number;
}

const TERMINAL = new Set(['CONFIRMED', 'REJECTED', 'FAILED']);

/** Polls every accepted purchase (as an admin) until all are terminal. */
export async function waitForRest(h: Harness, accepted: string[], timeoutMs = 90_000): Promise<Map<string, string>> {
  const admin = await h.adminToken();
  const statuses = new Map<string, string>();
  const deadline = Date.now() + timeoutMs;
  let open = [...new Set(accepted)];
  while (open.length > 0) {
    if (Date.now() > deadline) throw new Error(`${open.length} purchases still not terminal, e.g. ${open[0]}`);
    const views = await Promise.all(open.map((id) => h.request('GET', `/api/v1/purchases/${id}`, { token: admin })));
    views.forEach((view, i) => statuses.set(open[i], view.body.status));
    open = open.filter((id) => !TERMINAL.has(statuses.get(id) ?? ''));
    if (open.length > 0) await new Promise((r) => setTimeout(r, 200));
  }
  return statuses;
}

export async function expectSaleInvariants(h: Harness, sale: Sale): Promise<SaleAtRest> {
  // 4. Nothing lost: every accepted purchase reaches a terminal status.
  const statuses = await waitForRest(h, sale.accepted);

  const orders = await h.pool.query<{ tracking_id: string; user_id: string; quantity: number }>(
    'SELECT tracking_id, user_id, quantity FROM orders WHERE product_id = $1',
    [sale.productId],
  );
  const product = await h.pool.query<{ stock: number }>('SELECT stock_quantity AS stock FROM product WHERE id = $1', [
    sale.productId,
  ]);
  const pgStock = product.rows[0].stock;
  const confirmedQuantity = orders.rows.reduce((sum, o) => sum + o.quantity, 0);
  const [stockKey, holdersKey, reservationsKey] = productKeys(sale.productId);
  const redisAvailable = Number(await h.redis.hget(stockKey, 'available'));
  const holders = await h.redis.hgetall(holdersKey);
  const reservations = await h.redis.hgetall(reservationsKey);

  // 1. No oversell.
  expect(confirmedQuantity).toBeLessThanOrEqual(sale.initialStock);
  expect(pgStock).toBeGreaterThanOrEqual(0);

  // 2. Conservation, and Redis agrees with PostgreSQL at rest.
  expect(pgStock + confirmedQuantity).toBe(sale.initialStock);
  expect(redisAvailable).toBe(pgStock);

  // 3. Per-user limit, in the orders and in Redis' count of what each buyer holds.
  const perUser = new Map<string, number>();
  for (const o of orders.rows) perUser.set(o.user_id, (perUser.get(o.user_id) ?? 0) + o.quantity);
  for (const [user, units] of perUser) {
    expect(units).toBeLessThanOrEqual(sale.maxPerUser);
    expect(Number(holders[user] ?? 0)).toBe(units);
  }
  for (const [user, units] of Object.entries(holders)) expect(Number(units)).toBe(perUser.get(user) ?? 0);

  // 4. CONFIRMED has exactly one order; REJECTED/FAILED none, and no reservation left held.
  const orderCount = new Map<string, number>();
  for (const o of orders.rows) orderCount.set(o.tracking_id, (orderCount.get(o.tracking_id) ?? 0) + 1);
  for (const [trackingId, status] of statuses) {
    const held = reservations[trackingId]?.startsWith('R|') ?? false;
    if (status === 'CONFIRMED') {
      expect({ trackingId, orders: orderCount.get(trackingId) ?? 0, held }).toEqual({
        trackingId,
        orders: 1,
        held: true,
      });
    } else {
      expect({ trackingId, orders: orderCount.get(trackingId) ?? 0, held }).toEqual({
        trackingId,
        orders: 0,
        held: false,
      });
    }
  }
  // 5. Idempotency: no order outside the accepted purchases, none twice, no reservation held without an order.
  for (const [trackingId, count] of orderCount)
    expect({ trackingId, count, known: statuses.has(trackingId) }).toEqual({ trackingId, count: 1, known: true });
  for (const [trackingId, state] of Object.entries(reservations)) {
    if (state.startsWith('R|'))
      expect({ trackingId, ordered: orderCount.has(trackingId) }).toEqual({ trackingId, ordered: true });
  }

  // 6. Feedback: the newest stock event equals what is available at rest.
  for (const observer of [...(sale.watcher ? [sale.watcher] : []), ...(sale.subscribers ?? [])]) {
    await expectWatcherSettles(observer, redisAvailable);
  }

  return { statuses, confirmedQuantity };
}

async function expectWatcherSettles(watcher: StockObserver, available: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (watcher.latest?.available !== available && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(watcher.latest?.available).toBe(available);
}
