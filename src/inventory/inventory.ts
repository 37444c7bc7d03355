/**
 * The hot side of stock: Redis holds how many units are still available, how
 * many each buyer holds, and one reservation per tracking id. PostgreSQL stays
 * the truth; this is the gate that keeps the crowd away from it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RedisClient } from '../clients/redis';
import type { RejectionReason } from '../domain/purchase';

export type ReserveOutcome = 'RESERVED' | 'HELD' | 'IDEMPOTENCY_KEY_REUSED' | RejectionReason;
export type ReleaseOutcome = 'RELEASED' | 'COMMITTED' | 'UNKNOWN' | 'MISSING';

export interface ReserveResult {
  outcome: ReserveOutcome;
  available: number;
}

export interface StockSnapshot {
  available: number;
  version: number;
}

export interface ReleaseResult extends StockSnapshot {
  outcome: ReleaseOutcome;
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

/**
 * The PostgreSQL advisory lock that restocks and reconciliation hold while
 * they carry a PostgreSQL change or snapshot over to Redis, so that neither
 * undoes nor repeats the other's work.
 */
export function stockLockName(productId: number): string {
  return `stock-sync:${productId}`;
}

type Keys = [stock: string, holders: string, reservations: string];
type Reply = [outcome: string, available: number, version: number];

interface InventoryCommands {
  reserveStock(...keysAndArgs: [...Keys, string, string, number]): Promise<[string, number]>;
  releaseStock(...keysAndArgs: [...Keys, string]): Promise<Reply>;
  settleStock(...keysAndArgs: [...Keys, string]): Promise<Reply>;
  adjustStock(stock: string, delta: number): Promise<Reply>;
  reconcileStock(...keysAndArgs: [...Keys, ...(string | number)[]]): Promise<[string, number, number, number, number]>;
  rebuildStock(...keysAndArgs: [...Keys, ...(string | number)[]]): Promise<Reply>;
}

/** A reservation whose purchase is still in flight, for reconciliation. */
export interface HeldReservation {
  trackingId: string;
  userId: string;
  quantity: number;
  /** When it was made (ms, Redis time); when Redis lost its data, when it was rebuilt. */
  reservedAt: number;
}

export interface Drift extends StockSnapshot {
  /** Units Redis offered beyond the truth (negative: units it withheld). */
  drift: number;
  inFlight: number;
}

/** What PostgreSQL and Temporal say a product's hot state must be, for a rebuild. */
export interface RebuildState {
  stock: number;
  maxPerUser: number;
  /** Units each buyer has ordered. */
  committed: Record<string, number>;
  inFlight: Reservation[];
}

/**
 * Versions restart from the clock (in µs) when a product's hot state is made
 * anew, so they stay above any version consumers saw before, even after
 * Redis lost its data; between two loads they grow by one per change.
 */
const freshVersion = () => Date.now() * 1000;

const snapshotOf = ([, available, version]: Reply): StockSnapshot => ({ available, version });

/** A reservation in flight, as reserve.lua and rebuild.lua write it: 'R|user|quantity|reserved-at ms'. */
const IN_FLIGHT_RESERVATION = /^R\|(.*)\|(\d+)\|(\d+)$/;

export class Inventory {
  private readonly redis: RedisClient & InventoryCommands;

  constructor(redis: RedisClient) {
    redis.defineCommand('reserveStock', { numberOfKeys: 3, lua: script('reserve.lua') });
    redis.defineCommand('releaseStock', { numberOfKeys: 3, lua: script('release.lua') });
    redis.defineCommand('settleStock', { numberOfKeys: 3, lua: script('settle.lua') });
    redis.defineCommand('adjustStock', { numberOfKeys: 1, lua: script('adjust.lua') });
    redis.defineCommand('reconcileStock', { numberOfKeys: 3, lua: script('reconcile.lua') });
    redis.defineCommand('rebuildStock', { numberOfKeys: 3, lua: script('rebuild.lua') });
    this.redis = redis as RedisClient & InventoryCommands;
  }

  /** Idempotent: the same tracking id always gets the same answer and never a second decrement. */
  async reserve(r: Reservation): Promise<ReserveResult> {
    const [outcome, available] = await this.redis.reserveStock(
      ...productKeys(r.productId),
      r.trackingId,
      r.userId,
      r.quantity,
    );
    return { outcome: outcome as ReserveOutcome, available };
  }

  /** Gives an in-flight reservation's units back, at most once, and forgets it; a committed one keeps them. */
  async release(productId: number, trackingId: string): Promise<ReleaseResult> {
    const reply = await this.redis.releaseStock(...productKeys(productId), trackingId);
    return { outcome: reply[0] as ReleaseOutcome, ...snapshotOf(reply) };
  }

  /** Marks a reservation committed (its order holds the units) and reads the stock after it. */
  async settle(productId: number, trackingId: string): Promise<StockSnapshot | undefined> {
    const reply = await this.redis.settleStock(...productKeys(productId), trackingId);
    return reply[0] === 'MISSING' ? undefined : snapshotOf(reply);
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
  async load(productId: number, available: number, maxPerUser: number): Promise<StockSnapshot> {
    const [stock, holders, reservations] = productKeys(productId);
    const version = freshVersion();
    await this.redis.multi().del(holders, reservations).hset(stock, { available, maxPerUser, version }).exec();
    return { available, version };
  }

  /** Redis' clock (ms): reservations are stamped with it, so reconciliation compares against the same clock. */
  async now(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** Tracking ids of every reservation Redis holds for the product, in flight or recently settled. */
  async reservationIds(productId: number): Promise<string[]> {
    return this.redis.hkeys(productKeys(productId)[2]);
  }

  /** Whether the purchase holds units of the product that it has not yet settled. */
  async isHeld(productId: number, trackingId: string): Promise<boolean> {
    return IN_FLIGHT_RESERVATION.test((await this.redis.hget(productKeys(productId)[2], trackingId)) ?? '');
  }

  /** Reservations whose purchase is still in flight (not settled). */
  async heldReservations(productId: number): Promise<HeldReservation[]> {
    const all = await this.redis.hgetall(productKeys(productId)[2]);
    return Object.entries(all).flatMap(([trackingId, state]) => {
      const match = IN_FLIGHT_RESERVATION.exec(state);
      if (!match) return [];
      return [{ trackingId, userId: match[1], quantity: Number(match[2]), reservedAt: Number(match[3]) }];
    });
  }

  /**
   * Sets available stock from a PostgreSQL snapshot: its stock, the Redis time
   * read before it was taken, and which of the product's reservations have an
   * order in it. Undefined when Redis does not hold the product (rebuild it).
   */
  async reconcile(
    productId: number,
    pgStock: number,
    snapshotAt: number,
    committed: string[],
  ): Promise<Drift | undefined> {
    const [outcome, drift, available, inFlight, version] = await this.redis.reconcileStock(
      ...productKeys(productId),
      pgStock,
      snapshotAt,
      ...committed,
    );
    return outcome === 'MISSING' ? undefined : { drift, available, inFlight, version };
  }

  /**
   * Loads a product Redis lost from what PostgreSQL and Temporal say. Returns
   * undefined when the product's stock was there after all.
   */
  async rebuild(productId: number, state: RebuildState): Promise<StockSnapshot | undefined> {
    const inFlight = state.inFlight.map((r) => ({ t: r.trackingId, u: r.userId, q: r.quantity }));
    const reply = await this.redis.rebuildStock(
      ...productKeys(productId),
      state.stock,
      state.maxPerUser,
      freshVersion(),
      JSON.stringify({ committed: state.committed, inFlight }),
    );
    return reply[0] === 'REBUILT' ? snapshotOf(reply) : undefined;
  }

  /**
   * Moves available stock by a restock's difference; reservations in flight
   * keep their units. Undefined when Redis does not hold the product: nothing
   * is written, and the caller asks for a rebuild.
   */
  async adjust(productId: number, delta: number): Promise<StockSnapshot | undefined> {
    const reply = await this.redis.adjustStock(productKeys(productId)[0], delta);
    return reply[0] === 'MISSING' ? undefined : snapshotOf(reply);
  }
}
