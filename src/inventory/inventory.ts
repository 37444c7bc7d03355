/**
 * The hot side of stock: Redis holds how many units are still available, how
 * many each buyer holds, and one reservation per tracking id. PostgreSQL stays
 * the truth; this is the gate that keeps the crowd away from it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { RejectionReason } from '../domain/purchase';

export type ReserveOutcome = 'RESERVED' | 'HELD' | 'RELEASED' | RejectionReason;
export type ReleaseOutcome = 'RELEASED' | 'ALREADY_RELEASED' | 'UNKNOWN';

export interface ReserveResult {
  outcome: ReserveOutcome;
  available: number;
}

export interface ReleaseResult {
  outcome: ReleaseOutcome;
  available: number;
}

export interface StockSnapshot {
  available: number;
  version: number;
}

export interface Reservation {
  trackingId: string;
  userId: string;
  productId: number;
  quantity: number;
}

const script = (name: string) => readFileSync(path.join(__dirname, name), 'utf8');

/** Keys share the `{p:<id>}` hash tag so that one product lives on one Redis Cluster slot. */
export function productKeys(productId: number): Keys {
  const tag = `{p:${productId}}`;
  return [`${tag}:stock`, `${tag}:holders`, `${tag}:reservations`];
}

type Keys = [stock: string, holders: string, reservations: string];

interface InventoryCommands {
  reserveStock(...keysAndArgs: [...Keys, ...(string | number)[]]): Promise<[string, number]>;
  releaseStock(...keysAndArgs: [...Keys, string]): Promise<[string, number]>;
  reconcileStock(...keysAndArgs: [...Keys, ...(string | number)[]]): Promise<[number, number, number]>;
  rebuildStock(...keysAndArgs: [...Keys, ...(string | number)[]]): Promise<[string, number]>;
}

/** A reservation as Redis holds it, for reconciliation. */
export interface HeldReservation {
  trackingId: string;
  userId: string;
  quantity: number;
  /** When it was made (ms); 0 when rebuilt after Redis lost its data. */
  reservedAt: number;
}

export interface Drift {
  /** Units Redis offered beyond the truth (negative: units it withheld). */
  drift: number;
  available: number;
  inFlight: number;
}

/**
 * Versions restart from the clock (in µs) when a product's hot state is made
 * anew, so they stay above any version consumers saw before, even after
 * Redis lost its data; between two loads they grow by one per change.
 */
const freshVersion = () => Date.now() * 1000;

export class Inventory {
  private readonly redis: Redis & InventoryCommands;

  constructor(redis: Redis) {
    redis.defineCommand('reserveStock', { numberOfKeys: 3, lua: script('reserve.lua') });
    redis.defineCommand('releaseStock', { numberOfKeys: 3, lua: script('release.lua') });
    redis.defineCommand('reconcileStock', { numberOfKeys: 3, lua: script('reconcile.lua') });
    redis.defineCommand('rebuildStock', { numberOfKeys: 3, lua: script('rebuild.lua') });
    this.redis = redis as Redis & InventoryCommands;
  }

  /** Idempotent: the same tracking id always gets the same answer and never a second decrement. */
  async reserve(r: Reservation): Promise<ReserveResult> {
    const [outcome, available] = await this.redis.reserveStock(
      ...productKeys(r.productId),
      r.trackingId,
      r.userId,
      r.quantity,
      Date.now(),
    );
    return { outcome: outcome as ReserveOutcome, available };
  }

  /** Idempotent: a reservation is given back at most once. */
  async release(productId: number, trackingId: string): Promise<ReleaseResult> {
    const [outcome, available] = await this.redis.releaseStock(...productKeys(productId), trackingId);
    return { outcome: outcome as ReleaseOutcome, available };
  }

  /**
   * Units still available and the stock's version, which grows with every
   * change: of two snapshots, the higher version is the newer.
   */
  async snapshot(productId: number): Promise<StockSnapshot | undefined> {
    const [available, version] = await this.redis.hmget(productKeys(productId)[0], 'available', 'version');
    return available === null ? undefined : { available: Number(available), version: Number(version ?? 0) };
  }

  /** Starts a product's hot state afresh (admin create). */
  async load(productId: number, available: number, maxPerUser: number): Promise<void> {
    const [stock, holders, reservations] = productKeys(productId);
    await this.redis
      .multi()
      .del(holders, reservations)
      .hset(stock, { available, maxPerUser, version: freshVersion() })
      .exec();
  }

  /** Every reservation still held (committed or in flight). */
  async heldReservations(productId: number): Promise<HeldReservation[]> {
    const all = await this.redis.hgetall(productKeys(productId)[2]);
    return Object.entries(all).flatMap(([trackingId, state]) => {
      const match = /^R\|(.*)\|(\d+)\|(\d+)$/.exec(state);
      if (!match) return [];
      return [{ trackingId, userId: match[1], quantity: Number(match[2]), reservedAt: Number(match[3]) }];
    });
  }

  /** Sets available stock from a PostgreSQL snapshot: its stock and the tracking ids it has orders for. */
  async reconcile(productId: number, pgStock: number, committed: string[]): Promise<Drift> {
    const [drift, available, inFlight] = await this.redis.reconcileStock(
      ...productKeys(productId),
      pgStock,
      ...committed,
    );
    return { drift, available, inFlight };
  }

  /**
   * Loads a product Redis lost: PostgreSQL's stock and the reservations that
   * must be held again (every order, and every purchase still in flight).
   * Returns undefined when the product's stock was there after all.
   */
  async rebuild(
    productId: number,
    pgStock: number,
    maxPerUser: number,
    held: { trackingId: string; userId: string; quantity: number; inFlight: boolean }[],
  ): Promise<number | undefined> {
    const entries = held.map((r) => ({ t: r.trackingId, u: r.userId, q: r.quantity, f: r.inFlight }));
    const [outcome, available] = await this.redis.rebuildStock(
      ...productKeys(productId),
      pgStock,
      maxPerUser,
      freshVersion(),
      JSON.stringify(entries),
    );
    return outcome === 'REBUILT' ? available : undefined;
  }

  /** Moves available stock by a restock's difference; reservations in flight keep their units. */
  async adjust(productId: number, delta: number): Promise<StockSnapshot> {
    const [stock] = productKeys(productId);
    const replies = await this.redis.multi().hincrby(stock, 'available', delta).hincrby(stock, 'version', 1).exec();
    const [[, available], [, version]] = replies as [[null, number], [null, number]];
    return { available, version };
  }
}
