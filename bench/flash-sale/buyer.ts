/**
 * One simulated buyer: buys with its pattern, maybe double-clicks (the same
 * Idempotency-Key twice), polls an accepted purchase until it is settled,
 * and maybe buys again afterwards.
 */
import { randomUUID } from 'node:crypto';
import { NETWORK_ERROR, type JsonClient, type Reply } from '../../tools/lib/http';
import { sleep } from '../../tools/lib/wait';
import type { BuyerPlan } from './plan';
import { outcomeOf, statusOf, trackingIdOf, type RequestKind, type SaleRecorder } from './recorder';

export interface BuyerContext {
  client: JsonClient;
  recorder: SaleRecorder;
  /** The purchase body, serialized once. */
  purchaseJson: string;
  pollMs: number;
  /** Seconds each status read may wait on the server (`?wait=`); 0 polls every pollMs instead. */
  waitS: number;
}

/** How long after the first click the second one comes. */
const DOUBLE_CLICK_MS = 50;
/** An accepted purchase still unsettled after this long is reported as STILL_PENDING. */
const POLL_TIMEOUT_MS = 120_000;

/** Who the buyer is to the API: its token, and the address a proxy would forward. */
export interface Identity {
  token: string;
  address: string;
}

interface Settled {
  outcome: string;
  trackingId?: string;
  answeredAt: number;
  settledAt: number;
  /** The answer itself was terminal (a sync purchase decided within its deadline, or a refusal). */
  settledByAnswer: boolean;
}

/** The answer that settled the purchase, or undefined if it was still pending at the poll deadline. */
async function pollUntilSettled(ctx: BuyerContext, who: Identity, trackingId: string): Promise<Reply | undefined> {
  const deadline = ctx.recorder.now() + POLL_TIMEOUT_MS;
  const path = `/api/v1/purchases/${trackingId}${ctx.waitS > 0 ? `?wait=${ctx.waitS}` : ''}`;
  while (ctx.recorder.now() < deadline) {
    if (ctx.waitS === 0) await sleep(ctx.pollMs);
    const sentAt = ctx.recorder.now();
    const reply = await ctx.client.call('GET', path, {
      token: who.token,
      headers: { 'x-forwarded-for': who.address },
    });
    const outcome = ctx.recorder.request(sentAt, 'poll', 'poll', reply);
    // A 5xx or a dropped connection is worth another poll; a 404 for an accepted purchase is an answer (a lost one).
    if (reply.status === 200 ? outcome !== 'PENDING' : reply.status === 404) return reply;
  }
  return undefined;
}

/**
 * No answer about the purchase: the request failed on its way (a connection cut, a proxy's 502 or 504 when an
 * API died, a 503 before any workflow). It says nothing about what the Idempotency-Key stands for.
 */
function failedOnTheWay(reply: Reply, trackingId: string | undefined): boolean {
  return !trackingId && (reply.status === NETWORK_ERROR || reply.status >= 502);
}

async function purchase(ctx: BuyerContext, plan: BuyerPlan, who: Identity, kind: RequestKind, key?: string) {
  const sentAt = ctx.recorder.now();
  const reply = await ctx.client.call('POST', `/api/v1/${plan.pattern}/purchase`, {
    token: who.token,
    json: ctx.purchaseJson,
    headers: { 'x-forwarded-for': who.address, ...(key ? { 'idempotency-key': key } : {}) },
  });
  const answeredAt = ctx.recorder.now();
  const trackingId = trackingIdOf(reply);
  ctx.recorder.request(sentAt, plan.pattern, kind, reply);
  if (key && !failedOnTheWay(reply, trackingId)) ctx.recorder.answeredWithKey(key, trackingId);
  const settling = statusOf(reply) === 'PENDING' && trackingId ? await pollUntilSettled(ctx, who, trackingId) : reply;
  ctx.recorder.settled(trackingId, settling ? statusOf(settling) : 'STILL_PENDING');
  const outcome = settling ? outcomeOf(settling) : 'STILL_PENDING';
  return {
    outcome,
    trackingId,
    answeredAt,
    settledAt: ctx.recorder.now(),
    settledByAnswer: settling === reply,
  } satisfies Settled;
}

export async function runBuyer(ctx: BuyerContext, plan: BuyerPlan, who: Identity): Promise<void> {
  const startedAt = ctx.recorder.now();
  const key = plan.retries ? randomUUID() : undefined;
  const retry = key && sleep(DOUBLE_CLICK_MS).then(() => purchase(ctx, plan, who, 'retry', key));
  const first = await purchase(ctx, plan, who, 'first', key);
  await retry;
  ctx.recorder.buyer({
    pattern: plan.pattern,
    arrivalMs: plan.arrivalMs,
    lagMs: startedAt - plan.arrivalMs,
    answerMs: first.answeredAt - plan.arrivalMs,
    terminalMs: first.settledAt - plan.arrivalMs,
    settledByAnswer: first.settledByAnswer,
    outcome: first.outcome,
    trackingId: first.trackingId,
  });
  if (plan.triesTwice) await purchase(ctx, plan, who, 'second');
}
