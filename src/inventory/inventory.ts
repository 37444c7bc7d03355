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
export function productKeys(productId: number): [stock: string, holders: string, reservations: string] {
  const tag = `{p:${productId}}`;
  return [`${tag}:stock`, `${tag}:holders`, `${tag}:reservations`];
}

interface InventoryCommands {
  reserveStock(k1: string, k2: string, k3: string, ...args: (string | number)[]): Promise<[string, number]>;
  releaseStock(k1: string, k2: string, k3: string, trackingId: string): Promise<[string, number]>;
}

export class Inventory {
  private readonly redis: Redis & InventoryCommands;

  constructor(redis: Redis) {
    redis.defineCommand('reserveStock', { numberOfKeys: 3, lua: script('reserve.lua') });
    redis.defineCommand('releaseStock', { numberOfKeys: 3, lua: script('release.lua') });
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

  /** Starts a product's hot state afresh (admin create); the version keeps growing. */
  async load(productId: number, available: number, maxPerUser: number): Promise<void> {
    const [stock, holders, reservations] = productKeys(productId);
    await this.redis
      .multi()
      .del(holders, reservations)
      .hset(stock, { available, maxPerUser })
      .hincrby(stock, 'version', 1)
      .exec();
  }

  /** Moves available stock by a restock's difference; reservations in flight keep their units. */
  async adjust(productId: number, delta: number): Promise<StockSnapshot> {
    const [stock] = productKeys(productId);
    const replies = await this.redis.multi().hincrby(stock, 'available', delta).hincrby(stock, 'version', 1).exec();
    const [[, available], [, version]] = replies as [[null, number], [null, number]];
    return { available, version };
  }
}
