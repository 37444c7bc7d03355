/**
 * DESIGN.md's invariants, checked at the end of a sale straight from
 * PostgreSQL and Redis, with purchase statuses read through the API. Returns
 * the violations it finds instead of asserting, so that the jest tests
 * (test/support/invariants.ts), the flash-sale simulator and the fuzzer share
 * one check.
 */
import type { RedisClient } from '../../src/clients/redis';
import type { Pool } from 'pg';
import { productKeys } from '../../src/inventory/inventory';
import { sleep } from './wait';

export interface SaleUnderCheck {
  productId: number;
  /** Every unit ever put on sale (initial stock plus restocks). */
  initialStock: number;
  maxPerUser: number;
  /** Every trackingId the API accepted (200, 202, or a workflow's own 409/503). */
  accepted: string[];
}

export interface InvariantSources {
  pool: Pool;
  redis: RedisClient;
  /** A purchase's status as the API reports it to an admin; undefined when it answers 404. */
  readStatus(trackingId: string): Promise<string | undefined>;
  /** The product as `GET /api/v1/products/:id` shows it, to compare with PostgreSQL and Redis. */
  readProduct?(): Promise<{ stock: number; available: number | null }>;
  /** The `available` of the newest stock event each subscriber saw (invariant 6). */
  subscribers?(): (number | undefined)[];
}

export interface Violation {
  invariant: number;
  message: string;
}

export interface InvariantReport {
  statuses: Map<string, string | undefined>;
  confirmedQuantity: number;
  pgStock: number;
  redisAvailable: number;
  violations: Violation[];
}

export interface RestOptions {
  timeoutMs?: number;
  /** Status reads in flight at once. */
  concurrency?: number;
  pollMs?: number;
}

export interface CheckOptions extends RestOptions {
  /** How long subscribers may take to see the final stock event. */
  feedbackSettleMs?: number;
}

const TERMINAL = new Set(['CONFIRMED', 'REJECTED', 'FAILED']);

export const isTerminal = (status: string | undefined): boolean => TERMINAL.has(status ?? '');

async function mapConcurrently<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * Reads every accepted purchase until all are terminal or the time is up.
 * The map holds the last status read, so a purchase left PENDING shows it.
 */
export async function waitForRest(
  readStatus: InvariantSources['readStatus'],
  accepted: string[],
  { timeoutMs = 90_000, concurrency = 64, pollMs = 200 }: RestOptions = {},
): Promise<Map<string, string | undefined>> {
  const statuses = new Map<string, string | undefined>();
  const deadline = Date.now() + timeoutMs;
  let open = [...new Set(accepted)];
  while (open.length > 0) {
    const read = await mapConcurrently(open, concurrency, readStatus);
    read.forEach((status, i) => statuses.set(open[i], status));
    open = open.filter((id) => !isTerminal(statuses.get(id)));
    if (open.length === 0 || Date.now() > deadline) break;
    await sleep(pollMs);
  }
  return statuses;
}

interface RestState {
  orders: { tracking_id: string; user_id: string; quantity: number }[];
  pgStock: number;
  redisAvailable: number;
  holders: Record<string, string>;
  reservations: Record<string, string>;
}

async function readRestState({ pool, redis }: InvariantSources, productId: number): Promise<RestState> {
  const orders = await pool.query<RestState['orders'][number]>(
    'SELECT tracking_id, user_id, quantity FROM orders WHERE product_id = $1',
    [productId],
  );
  const product = await pool.query<{ stock: number }>('SELECT stock_quantity AS stock FROM product WHERE id = $1', [
    productId,
  ]);
  const [stockKey, holdersKey, reservationsKey] = productKeys(productId);
  return {
    orders: orders.rows,
    pgStock: product.rows[0]?.stock ?? Number.NaN,
    redisAvailable: Number(await redis.hget(stockKey, 'available')),
    holders: await redis.hgetall(holdersKey),
    reservations: await redis.hgetall(reservationsKey),
  };
}

function countBy<T>(items: T[], key: (item: T) => string, amount: (item: T) => number = () => 1): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + amount(item));
  return counts;
}

/** Invariants 1 to 5 on the state at rest; pure, so every rule reads as one line. */
function checkRestState(
  sale: SaleUnderCheck,
  state: RestState,
  statuses: Map<string, string | undefined>,
): { violations: Violation[]; confirmedQuantity: number } {
  const violations: Violation[] = [];
  const fail = (invariant: number, message: string) => violations.push({ invariant, message });
  const { orders, pgStock, redisAvailable, holders, reservations } = state;
  const confirmedQuantity = orders.reduce((sum, o) => sum + o.quantity, 0);

  if (confirmedQuantity > sale.initialStock)
    fail(1, `oversold: ${confirmedQuantity} units ordered of ${sale.initialStock}`);
  if (!(pgStock >= 0)) fail(1, `PostgreSQL stock is ${pgStock}`);

  if (pgStock + confirmedQuantity !== sale.initialStock)
    fail(2, `PostgreSQL stock ${pgStock} + ordered ${confirmedQuantity} ≠ ${sale.initialStock} put on sale`);
  if (redisAvailable !== pgStock) fail(2, `Redis available ${redisAvailable} ≠ PostgreSQL stock ${pgStock} at rest`);

  const perUser = countBy(
    orders,
    (o) => o.user_id,
    (o) => o.quantity,
  );
  for (const [user, units] of perUser) {
    if (units > sale.maxPerUser) fail(3, `${user} holds ${units} units, limit ${sale.maxPerUser}`);
    if (Number(holders[user] ?? 0) !== units) fail(3, `${user}: ${units} units ordered, Redis counts ${holders[user]}`);
  }
  for (const [user, units] of Object.entries(holders)) {
    if (Number(units) !== 0 && !perUser.has(user)) fail(3, `${user}: Redis counts ${units} units, none ordered`);
  }

  // At rest nothing is in flight: a confirmed purchase's reservation is settled ('C|', or pruned since),
  // any other's was given back and forgotten.
  const orderCount = countBy(orders, (o) => o.tracking_id);
  for (const [trackingId, status] of statuses) {
    const count = orderCount.get(trackingId) ?? 0;
    const reservation = reservations[trackingId];
    const inFlight = reservation?.startsWith('R|') ?? false;
    if (!isTerminal(status)) fail(4, `${trackingId} is not terminal: ${status ?? 'unknown to the API'}`);
    else if (status === 'CONFIRMED' && (count !== 1 || inFlight))
      fail(4, `${trackingId} CONFIRMED with ${count} orders, reservation ${inFlight ? 'still in flight' : 'settled'}`);
    else if (status !== 'CONFIRMED' && (count !== 0 || reservation !== undefined))
      fail(4, `${trackingId} ${status} with ${count} orders, reservation ${reservation ?? 'released'}`);
  }

  for (const [trackingId, count] of orderCount) {
    if (count !== 1) fail(5, `${trackingId} has ${count} orders`);
    if (!statuses.has(trackingId)) fail(5, `order for ${trackingId}, which the API never accepted`);
  }
  for (const [trackingId, state] of Object.entries(reservations)) {
    if (state.startsWith('R|')) fail(5, `${trackingId} still holds units in flight at rest`);
    else if (!orderCount.has(trackingId)) fail(5, `${trackingId} is settled without an order`);
  }
  return { violations, confirmedQuantity };
}

async function checkProductView(sources: InvariantSources, state: RestState): Promise<Violation[]> {
  if (!sources.readProduct) return [];
  const view = await sources.readProduct();
  if (view.stock === state.pgStock && view.available === state.redisAvailable) return [];
  return [
    {
      invariant: 2,
      message: `the API shows stock ${view.stock}/available ${view.available}, the stores hold ${state.pgStock}/${state.redisAvailable}`,
    },
  ];
}

/** Invariant 6: every subscriber's newest event ends on what is available at rest. */
async function checkFeedback(sources: InvariantSources, available: number, settleMs: number): Promise<Violation[]> {
  if (!sources.subscribers) return [];
  const read = sources.subscribers;
  const behind = () => read().filter((seen) => seen !== available);
  const deadline = Date.now() + settleMs;
  while (behind().length > 0 && Date.now() < deadline) await sleep(50);
  const late = behind();
  if (late.length === 0) return [];
  return [{ invariant: 6, message: `${late.length} subscribers ended on ${late[0]}, not ${available}` }];
}

export async function checkSaleInvariants(
  sources: InvariantSources,
  sale: SaleUnderCheck,
  { feedbackSettleMs = 5000, ...rest }: CheckOptions = {},
): Promise<InvariantReport> {
  const statuses = await waitForRest(sources.readStatus, sale.accepted, rest);
  const state = await readRestState(sources, sale.productId);
  const { violations, confirmedQuantity } = checkRestState(sale, state, statuses);
  violations.push(...(await checkProductView(sources, state)));
  violations.push(...(await checkFeedback(sources, state.redisAvailable, feedbackSettleMs)));
  violations.sort((a, b) => a.invariant - b.invariant);
  return { statuses, confirmedQuantity, pgStock: state.pgStock, redisAvailable: state.redisAvailable, violations };
}
