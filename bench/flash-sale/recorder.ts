/**
 * Everything the simulator saw, kept as flat samples: one per request and
 * one per buyer. Summaries and charts are computed from these at the end.
 */
import type { Reply } from '../../tools/lib/http';
import type { Pattern } from './plan';

/** Which request of a buyer's story this was. */
export type RequestKind = 'first' | 'retry' | 'second' | 'poll';

export interface RequestSample {
  /** When it was sent, ms after the sale opened. */
  t: number;
  ms: number;
  pattern: Pattern | 'poll';
  kind: RequestKind;
  /** CONFIRMED, PENDING (202 or still running), an error code, or NETWORK_ERROR. */
  outcome: string;
}

export interface BuyerSample {
  pattern: Pattern;
  /** Ms after the sale opened. */
  arrivalMs: number;
  /** How late the simulator sent the first request (its own lag). */
  lagMs: number;
  /** From arrival to the first answer. */
  answerMs: number;
  /** From arrival to a terminal status: the answer itself, or the poll that saw it. */
  terminalMs: number;
  /** The first answer was terminal: no status read was needed. */
  settledByAnswer: boolean;
  /** CONFIRMED, REJECTED, FAILED, or the error code that ended the purchase. */
  outcome: string;
  trackingId?: string;
}

/** The label of an answer: what the buyer learned from it. */
export function outcomeOf(reply: Reply): string {
  if (reply.status === 200) return reply.body?.status ?? 'CONFIRMED';
  if (reply.status === 202) return 'PENDING';
  return reply.body?.error?.code ?? `HTTP_${reply.status}`;
}

/**
 * The purchase status an answer stands for: a 409 that names a tracking id is
 * a workflow's rejection, a 503 PURCHASE_FAILED a failed purchase; any other
 * error is returned as its code (not a status, so the checks flag it).
 */
export function statusOf(reply: Reply): string {
  if (reply.status === 200) return reply.body?.status ?? 'CONFIRMED';
  if (reply.status === 202) return 'PENDING';
  if (reply.status === 409) return 'REJECTED';
  if (reply.body?.error?.code === 'PURCHASE_FAILED') return 'FAILED';
  return outcomeOf(reply);
}

/** The purchase an answer is about, if a workflow exists for it. */
export function trackingIdOf(reply: Reply): string | undefined {
  if (reply.body?.error?.code === 'TEMPORARILY_UNAVAILABLE') return undefined;
  return reply.body?.trackingId ?? reply.body?.error?.details?.trackingId;
}

export class SaleRecorder {
  readonly requests: RequestSample[] = [];
  readonly buyers: BuyerSample[] = [];
  /** Every tracking id the API accepted. */
  readonly accepted = new Set<string>();
  /** Idempotency-Key → the tracking ids its requests were answered with (one, if idempotent). */
  readonly keyAnswers = new Map<string, Set<string>>();
  /** Tracking id → every terminal status a buyer was told about it (one, if consistent). */
  readonly told = new Map<string, Set<string>>();
  /** When each purchase was first told CONFIRMED, ms after the sale opened. */
  readonly confirmations: number[] = [];

  private openedAt = performance.now();

  /** Time zero of every sample: the moment the sale opens. */
  open(): void {
    this.openedAt = performance.now();
  }

  now(): number {
    return performance.now() - this.openedAt;
  }

  request(sentAt: number, pattern: RequestSample['pattern'], kind: RequestKind, reply: Reply): string {
    const outcome = outcomeOf(reply);
    this.requests.push({ t: sentAt, ms: reply.ms, pattern, kind, outcome });
    const trackingId = trackingIdOf(reply);
    if (trackingId && kind !== 'poll') this.accepted.add(trackingId);
    return outcome;
  }

  answeredWithKey(key: string, trackingId: string | undefined): void {
    const answers = this.keyAnswers.get(key) ?? new Set<string>();
    answers.add(trackingId ?? 'none');
    this.keyAnswers.set(key, answers);
  }

  /** A buyer learned how a purchase ended; purchases without a workflow (admission 409s) have no tracking id. */
  settled(trackingId: string | undefined, status: string): void {
    if (!trackingId) return;
    const told = this.told.get(trackingId) ?? new Set<string>();
    if (status === 'CONFIRMED' && !told.has('CONFIRMED')) this.confirmations.push(this.now());
    told.add(status);
    this.told.set(trackingId, told);
  }

  buyer(sample: BuyerSample): void {
    this.buyers.push(sample);
  }
}
