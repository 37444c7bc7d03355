import { sleep } from '../../tools/lib/wait';
import type { ApiResponse, Harness } from './harness';
import { expectSaleInvariants, waitForRest, type Sale, type SaleAtRest, type StockObserver } from './invariants';

export interface DrivenSale {
  responses: ApiResponse[];
  /** Tracking ids of purchases that have a workflow: confirmed, accepted, or failed after starting. */
  accepted: string[];
  /** Answered 503 while starting: the workflow may or may not exist (see `settle`). */
  uncertain: string[];
}

/** Statuses a buyer may see while a part is broken: never a 500. */
export const ANSWERS_UNDER_FAULT = [200, 202, 409, 503];

/**
 * A small flash sale spread over `durationMs`: `buyers` distinct buyers, each
 * one request, alternating sync and async, at most `concurrency` in flight.
 */
export async function driveSale(
  h: Harness,
  options: { productId: number; buyers: number; durationMs: number; concurrency?: number },
): Promise<DrivenSale> {
  const { productId, buyers, durationMs, concurrency = 50 } = options;
  const tokens = await Promise.all(Array.from({ length: buyers }, () => h.token(h.buyer())));
  const started = Date.now();
  const responses: ApiResponse[] = new Array(buyers);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < buyers) {
      const i = next++;
      const due = started + (i * durationMs) / buyers;
      if (due > Date.now()) await sleep(due - Date.now());
      responses[i] = await h.request('POST', `/api/v1/${i % 2 === 0 ? 'sync' : 'async'}/purchase`, {
        token: tokens[i],
        body: { productId, quantity: 1 },
      });
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const trackingIds = (keep: (r: ApiResponse) => boolean) =>
    responses.filter(keep).map((r) => (r.body.trackingId ?? r.body.error.details.trackingId) as string);
  return {
    responses,
    accepted: trackingIds(
      (r) => r.status === 200 || r.status === 202 || (r.status === 503 && r.body.error.code === 'PURCHASE_FAILED'),
    ),
    uncertain: trackingIds((r) => r.status === 503 && r.body.error.code === 'TEMPORARILY_UNAVAILABLE'),
  };
}

/**
 * `buyers` distinct buyers all at once for a product of `stock` units, alternating sync and async: only 200,
 * 202 and 409 SOLD_OUT / INSUFFICIENT_STOCK come back, exactly `stock` purchases are admitted, and at rest
 * every one is CONFIRMED and every invariant holds.
 */
export async function expectRaceSellsOut(
  h: Harness,
  options: { productId: number; buyers: number; stock: number } & Pick<Sale, 'watcher' | 'subscribers'>,
): Promise<ApiResponse[]> {
  const { productId, buyers, stock, watcher, subscribers } = options;
  const tokens = await Promise.all(Array.from({ length: buyers }, () => h.token(h.buyer())));
  const responses = await Promise.all(
    tokens.map((token, i) =>
      h.request('POST', `/api/v1/${i % 2 === 0 ? 'sync' : 'async'}/purchase`, {
        token,
        body: { productId, quantity: 1 },
      }),
    ),
  );
  for (const r of responses) expect([200, 202, 409]).toContain(r.status);
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
    subscribers,
  });
  expect(confirmedQuantity).toBe(stock);
  expect([...statuses.values()].every((status) => status === 'CONFIRMED')).toBe(true);
  return responses;
}

/** Every purchase with a workflow, once the fault healed: the accepted ones and the uncertain ones that did start. */
export async function settle(h: Harness, sale: DrivenSale): Promise<string[]> {
  const admin = await h.adminToken();
  const started: string[] = [];
  for (const trackingId of sale.uncertain) {
    const view = await h.request('GET', `/api/v1/purchases/${trackingId}`, { token: admin });
    if (view.status === 200) started.push(trackingId);
  }
  return [...sale.accepted, ...started];
}

/**
 * How every fault test ends: no buyer saw a 500, every purchase with a
 * workflow reaches a terminal status, and then every invariant holds.
 * `atRest` runs once the sale is at rest, before the checks (say, a reconciliation).
 */
export async function expectSaleSurvived(
  h: Harness,
  sale: DrivenSale,
  options: { productId: number; stock: number; subscribers?: StockObserver[]; atRest?: () => Promise<void> },
): Promise<SaleAtRest> {
  for (const r of sale.responses) expect(ANSWERS_UNDER_FAULT).toContain(r.status);
  const accepted = await settle(h, sale);
  await waitForRest(h, accepted);
  await options.atRest?.();
  return expectSaleInvariants(h, {
    productId: options.productId,
    initialStock: options.stock,
    maxPerUser: 1,
    accepted,
    subscribers: options.subscribers,
  });
}
