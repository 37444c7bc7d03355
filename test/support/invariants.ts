/**
 * DESIGN.md's invariants as jest expectations: a thin wrapper over
 * tools/lib/invariants.ts, which the flash-sale simulator and the fuzzer share.
 */
import { checkSaleInvariants, isTerminal, waitForRest as readUntilRest } from '../../tools/lib/invariants';
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

async function statusReader(h: Harness): Promise<(trackingId: string) => Promise<string | undefined>> {
  const admin = await h.adminToken();
  return async (trackingId) =>
    (await h.request('GET', `/api/v1/purchases/${trackingId}`, { token: admin })).body.status;
}

/** Polls every accepted purchase (as an admin) until all are terminal. */
export async function waitForRest(h: Harness, accepted: string[], timeoutMs = 90_000): Promise<Map<string, string>> {
  const statuses = await readUntilRest(await statusReader(h), accepted, { timeoutMs });
  const open = [...statuses].filter(([, status]) => !isTerminal(status));
  if (open.length > 0) throw new Error(`${open.length} purchases still not terminal, e.g. ${open[0][0]}`);
  return statuses as Map<string, string>;
}

export async function expectSaleInvariants(h: Harness, sale: Sale): Promise<SaleAtRest> {
  const observers: StockObserver[] = [...(sale.watcher ? [sale.watcher] : []), ...(sale.subscribers ?? [])];
  const report = await checkSaleInvariants(
    {
      pool: h.pool,
      redis: h.redis,
      readStatus: await statusReader(h),
      readProduct: async () => (await h.request('GET', `/api/v1/products/${sale.productId}`)).body,
      subscribers: observers.length > 0 ? () => observers.map((o) => o.latest?.available) : undefined,
    },
    sale,
  );
  expect(report.violations).toEqual([]);
  return { statuses: report.statuses as Map<string, string>, confirmedQuantity: report.confirmedQuantity };
}
