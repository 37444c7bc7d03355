/**
 * Where a purchase's status lands, so that the API answers a status read or a
 * sync wait without asking Temporal: the API writes PENDING when it admits a
 * purchase, the activity that ends it writes the outcome and announces it on
 * one Redis channel, to which each API process subscribes once. Temporal's
 * describe stays the fallback for what this does not know.
 */
import { duplicateRedis, type RedisClient } from '../clients/redis';
import type { PurchaseOutcome, PurchaseRequest } from '../domain/purchase';

/** A purchase as this store holds it: its outcome so far and who owns it. */
export interface PurchaseRecord extends PurchaseOutcome {
  userId: string;
  /** When this status was written (ms since the epoch). */
  at: number;
}

const CHANNEL = 'pulsecart:purchase-outcomes';
/** The record's key (tests age a record through it). */
export const purchaseRecordKey = (trackingId: string) => `pulsecart:purchase:${trackingId}`;

export class PurchaseOutcomes {
  private readonly waiters = new Map<string, Set<() => void>>();
  private subscriber?: RedisClient;
  private subscribed?: Promise<void>;

  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
  ) {}

  /** The API admitted it. Never overwrites: a repeat of a purchase that has ended keeps its outcome. */
  async pending(request: PurchaseRequest): Promise<void> {
    const record = recordOf(request, { status: 'PENDING' });
    await this.redis.set(purchaseRecordKey(request.trackingId), JSON.stringify(record), 'EX', this.ttlSeconds, 'NX');
  }

  /** The purchase ended (an activity that ends it calls this); waiters are told. */
  async finish(
    request: PurchaseRequest,
    outcome: Pick<PurchaseOutcome, 'status' | 'orderId' | 'reason'>,
  ): Promise<void> {
    const record = recordOf(request, outcome);
    await this.redis
      .pipeline()
      .set(purchaseRecordKey(request.trackingId), JSON.stringify(record), 'EX', this.ttlSeconds)
      .publish(CHANNEL, request.trackingId)
      .exec();
  }

  async read(trackingId: string): Promise<PurchaseRecord | undefined> {
    const stored = await this.redis.get(purchaseRecordKey(trackingId));
    return stored === null ? undefined : (JSON.parse(stored) as PurchaseRecord);
  }

  /**
   * The purchase's record once it has ended, or as it stands after `ms`. One
   * subscription per process, whatever the number of waiting buyers.
   */
  async settled(trackingId: string, ms: number): Promise<PurchaseRecord | undefined> {
    await (this.subscribed ??= this.subscribe());
    let stopWaiting = () => undefined as void;
    const announced = new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const waiting = this.waiters.get(trackingId) ?? new Set();
      function done() {
        clearTimeout(timer);
        waiting.delete(done);
        resolve();
      }
      stopWaiting = done;
      waiting.add(done);
      this.waiters.set(trackingId, waiting);
    });
    try {
      // Listening first, then reading: an outcome written in between is either read now or announced.
      const now = await this.read(trackingId);
      if (now?.status !== 'PENDING') return now;
      await announced;
      return await this.read(trackingId);
    } finally {
      stopWaiting();
      if (this.waiters.get(trackingId)?.size === 0) this.waiters.delete(trackingId);
    }
  }

  /** Ends the subscription, once the requests that wait on it have been answered (shutdown drains them first). */
  async close(): Promise<void> {
    await this.subscriber?.quit();
  }

  private async subscribe(): Promise<void> {
    const subscriber = duplicateRedis(this.redis);
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, trackingId: string) => {
      for (const done of this.waiters.get(trackingId) ?? []) done();
    });
    await subscriber.subscribe(CHANNEL);
  }
}

function recordOf(
  { trackingId, userId, productId, quantity }: PurchaseRequest,
  outcome: Pick<PurchaseOutcome, 'status' | 'orderId' | 'reason'>,
): PurchaseRecord {
  return { trackingId, userId, productId, quantity, ...outcome, at: Date.now() };
}
