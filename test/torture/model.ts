/**
 * What the system may and may not answer during a history, and what must be
 * true of it once at rest, beyond DESIGN.md's invariants (tools/invariants.ts
 * checks those). Pure: every rule reads the observations and the state at rest.
 */
import type { History, Op } from './history';

type PurchaseOp = Extract<Op, { kind: 'purchase' }>;

/** One operation of a history as the client saw it. Times are ms since the history started. */
export interface Observation {
  index: number;
  op: Op;
  startedAt: number;
  endedAt: number;
  status?: number;
  body?: any;
  /** The request got no answer (timeout, connection error). */
  error?: string;
}

/** A purchase as `GET /api/v1/purchases/:trackingId` shows it at rest. */
export interface PurchaseView {
  status: string;
  productId: number;
  quantity: number;
  orderId?: number;
}

export interface Violation {
  check: string;
  message: string;
}

export interface RestFacts {
  productId: number;
  /** Views of every purchase the API accepted, by trackingId. */
  views: Map<string, PurchaseView>;
  /** The `after.stock` of every restock the audit log recorded for the product, in order. */
  restocksRecorded: number[];
}

/** Codes the contract lets a purchase answer carry, by HTTP status. */
const CONTRACT_CODES: Record<number, string[]> = {
  409: ['SOLD_OUT', 'INSUFFICIENT_STOCK', 'PURCHASE_LIMIT'],
  422: ['IDEMPOTENCY_KEY_REUSED'],
  // 503s the faults of a history may cause: Redis lost the product; a workflow failed.
  503: ['STOCK_UNAVAILABLE', 'PURCHASE_FAILED'],
};

export const isPurchase = (o: Observation): o is Observation & { op: PurchaseOp } => o.op.kind === 'purchase';

/** The trackingId an answer names, if any: in the body, or in an error's details. */
export function trackingIdOf(o: Observation): string | undefined {
  return o.body?.trackingId ?? o.body?.error?.details?.trackingId;
}

const errorCode = (o: Observation): string | undefined => o.body?.error?.code;
const answer = (o: Observation) => `${o.status ?? o.error}${errorCode(o) ? ` ${errorCode(o)}` : ''}`;
const name = (o: Observation & { op: PurchaseOp }) =>
  `#${o.index} (buyer ${o.op.buyer} ${o.op.mode} ×${o.op.quantity}${o.op.key ? ` key ${o.op.key}` : ''})`;

/** Every purchase answer is one the contract allows for its pattern. */
function checkAnswers(observations: Observation[]): Violation[] {
  const violations: Violation[] = [];
  const fail = (message: string) => violations.push({ check: 'answer allowed by the contract', message });
  for (const o of observations.filter(isPurchase)) {
    const { mode, quantity, key } = o.op;
    if (o.status === undefined) fail(`${name(o)} got no answer: ${o.error}`);
    else if (o.status === 200 && mode === 'async') fail(`${name(o)} async answered 200`);
    else if (o.status === 200 && (o.body?.status !== 'CONFIRMED' || o.body?.quantity !== quantity))
      fail(`${name(o)} answered 200 with ${JSON.stringify(o.body)}`);
    else if (o.status === 202 && (o.body?.status !== 'PENDING' || !o.body?.trackingId))
      fail(`${name(o)} answered 202 with ${JSON.stringify(o.body)}`);
    else if (o.status === 422 && !key) fail(`${name(o)} answered 422 without an Idempotency-Key`);
    else if (o.status !== 200 && o.status !== 202 && !CONTRACT_CODES[o.status]?.includes(errorCode(o) ?? ''))
      fail(`${name(o)} answered ${answer(o)}`);
    if (o.status === 503 && errorCode(o) === 'STOCK_UNAVAILABLE' && !redisLostBefore(observations, o))
      fail(`${name(o)} answered 503 STOCK_UNAVAILABLE though Redis never lost its data`);
  }
  return violations;
}

function redisLostBefore(observations: Observation[], o: Observation): boolean {
  return observations.some((f) => f.op.kind === 'flushRedis' && f.startedAt <= o.endedAt);
}

/**
 * The Idempotency-Key contract: one (buyer, key) is one trackingId and at
 * most one purchase; the same key with another body is 422 IDEMPOTENCY_KEY_REUSED
 * once a purchase holds the key, and never otherwise.
 */
function checkIdempotency(observations: Observation[]): Violation[] {
  const violations: Violation[] = [];
  const byKey = new Map<string, (Observation & { op: PurchaseOp })[]>();
  for (const o of observations.filter(isPurchase)) {
    if (!o.op.key) continue;
    const id = `buyer ${o.op.buyer} key ${o.op.key}`;
    byKey.set(id, [...(byKey.get(id) ?? []), o]);
  }
  for (const [id, requests] of byKey) {
    const holders = requests.filter((o) => trackingIdOf(o) !== undefined);
    const trackingIds = new Set(holders.map(trackingIdOf));
    if (trackingIds.size > 1)
      violations.push({
        check: 'one Idempotency-Key, one trackingId',
        message: `${id} was answered with ${trackingIds.size} trackingIds (${holders.map(name).join(', ')})`,
      });
    const bodies = new Set(holders.map((o) => o.op.quantity));
    if (bodies.size > 1)
      violations.push({
        check: 'a key reused with another body makes no purchase',
        message: `${id} made purchases for quantities ${[...bodies].join(' and ')} (${holders.map(name).join(', ')})`,
      });
    for (const o of requests) {
      const earlierOther = holders.find((h) => h.op.quantity !== o.op.quantity && h.endedAt < o.startedAt);
      if (earlierOther && o.status !== 422)
        violations.push({
          check: '422 IDEMPOTENCY_KEY_REUSED',
          message: `${name(o)} reused ${id} of ${name(earlierOther)} with another body, answered ${answer(o)}`,
        });
      const anyOther = requests.some((r) => r.op.quantity !== o.op.quantity && r.startedAt < o.endedAt);
      if (o.status === 422 && !anyOther)
        violations.push({
          check: '422 IDEMPOTENCY_KEY_REUSED',
          message: `${name(o)} answered 422 though ${id} was only ever sent with this body`,
        });
    }
  }
  return violations;
}

/** What a purchase was answered agrees with what it became, and with what was asked. */
function checkAnswersAgainstRest(observations: Observation[], views: Map<string, PurchaseView>): Violation[] {
  const violations: Violation[] = [];
  const fail = (message: string) => violations.push({ check: 'an answer matches the later status', message });
  const expected: Record<string, string> = {
    '200': 'CONFIRMED',
    '409': 'REJECTED',
    '503 PURCHASE_FAILED': 'FAILED',
  };
  for (const o of observations.filter(isPurchase)) {
    const trackingId = trackingIdOf(o);
    const view = trackingId ? views.get(trackingId) : undefined;
    if (!trackingId || !view) continue;
    const want = expected[String(o.status)] ?? expected[answer(o)];
    if (want && view.status !== want) fail(`${name(o)} answered ${answer(o)}, its purchase ended ${view.status}`);
    if (o.status === 200 && view.orderId !== o.body.orderId)
      fail(`${name(o)} answered order ${o.body.orderId}, its purchase shows order ${view.orderId}`);
    if (view.quantity !== o.op.quantity)
      fail(`${name(o)} asked for ${o.op.quantity}, its purchase ${trackingId} is for ${view.quantity}`);
  }
  return violations;
}

/** Confirmed units per buyer, by what the API says of each purchase, stay within the limit. */
function checkPerBuyer(observations: Observation[], history: History, views: Map<string, PurchaseView>): Violation[] {
  const units = new Map<number, number>();
  const counted = new Set<string>();
  for (const o of observations.filter(isPurchase)) {
    const trackingId = trackingIdOf(o);
    if (!trackingId || counted.has(trackingId) || views.get(trackingId)?.status !== 'CONFIRMED') continue;
    counted.add(trackingId);
    units.set(o.op.buyer, (units.get(o.op.buyer) ?? 0) + views.get(trackingId)!.quantity);
  }
  return [...units]
    .filter(([, held]) => held > history.maxPerUser)
    .map(([buyer, held]) => ({
      check: 'per-buyer limit',
      message: `buyer ${buyer} holds ${held} confirmed units, limit ${history.maxPerUser}`,
    }));
}

/** Nothing beyond what was ever put on sale is confirmed, and every restock answered is on record. */
function checkStockBound(observations: Observation[], history: History, facts: RestFacts): Violation[] {
  const violations: Violation[] = [];
  const restocks = observations.filter((o) => o.op.kind === 'restock');
  const answered = restocks.filter((o) => o.status === 200).map((o) => (o.op as { stock: number }).stock);
  const everAvailable = history.stock + restocks.reduce((sum, o) => sum + (o.op as { stock: number }).stock, 0);
  const confirmed = [...facts.views.values()]
    .filter((v) => v.status === 'CONFIRMED')
    .reduce((sum, v) => sum + v.quantity, 0);
  if (confirmed > everAvailable)
    violations.push({
      check: 'confirmed ≤ stock ever made available',
      message: `${confirmed} units confirmed, at most ${everAvailable} were ever made available`,
    });
  const missing = answered.filter((stock) => !facts.restocksRecorded.includes(stock));
  if (missing.length > 0 || facts.restocksRecorded.length < answered.length)
    violations.push({
      check: 'every restock answered is recorded',
      message: `restocks answered 200: [${answered}], audit log: [${facts.restocksRecorded}]`,
    });
  for (const o of restocks.filter((r) => r.status !== 200))
    violations.push({ check: 'admin answers', message: `#${o.index} restock answered ${answer(o)}` });
  for (const o of observations.filter((r) => r.op.kind === 'reconcile' && r.status !== 200))
    violations.push({ check: 'admin answers', message: `#${o.index} reconcile answered ${answer(o)}` });
  return violations;
}

export function checkModel(history: History, observations: Observation[], facts: RestFacts): Violation[] {
  return [
    ...checkAnswers(observations),
    ...checkIdempotency(observations),
    ...checkAnswersAgainstRest(observations, facts.views),
    ...checkPerBuyer(observations, history, facts.views),
    ...checkStockBound(observations, history, facts),
  ];
}
